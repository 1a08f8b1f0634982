"""stub"""
def order_dependence(checked, relevant):
    return []
