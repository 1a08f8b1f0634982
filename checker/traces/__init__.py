"""What the engines found, shown and written: readable text (report.py), ITF files,
what a step changed (statediff.py), sequence diagrams, the step-through HTML page,
JUnit and SARIF reports."""
