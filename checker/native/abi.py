"""The structs `mc_run` takes and fills, as ctypes sees them (native_search.c's
McOptions and McResult).

The problem: the engine and the profile training (pgo.py, run while the library is
built) both call `mc_run`; the training may not import the engine (the engine imports
the build). The invariant: these fields are McOptions' and McResult's, in order. No
cost beyond the definitions. Public entry point: `_Options`, `_Result`.
"""
from __future__ import annotations

import ctypes


class _Options(ctypes.Structure):
    _fields_ = [("max_states", ctypes.c_int64), ("max_depth", ctypes.c_int64),
                ("timeout", ctypes.c_double), ("check_deadlock", ctypes.c_int), ("record", ctypes.c_int),
                ("threads", ctypes.c_int), ("progress_every", ctypes.c_double), ("memory_limit", ctypes.c_int64)]


class _Result(ctypes.Structure):
    _fields_ = [("distinct", ctypes.c_int64), ("generated", ctypes.c_int64), ("depth", ctypes.c_int64),
                ("queue_left", ctypes.c_int64), ("constrained", ctypes.c_int64),
                ("verdict", ctypes.c_int), ("kind", ctypes.c_int), ("prop", ctypes.c_int),
                ("index", ctypes.c_int64), ("step_to", ctypes.c_int64), ("init_pos", ctypes.c_int64),
                ("stopped_by", ctypes.c_int), ("visited_bytes", ctypes.c_int64),
                ("message", ctypes.c_char * 512)]
