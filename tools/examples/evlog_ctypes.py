#!/usr/bin/env python3
"""Append and read evlog events from Python through the C API (evlog/c.h).
Usage: EVLOG_C_LIBRARY=build/engine/libevlog_c.so python3 evlog_ctypes.py DIR"""
import ctypes as C, os, sys

lib = C.CDLL(os.environ.get("EVLOG_C_LIBRARY", "libevlog_c.so"))
class Event(C.Structure):
    _fields_ = [("type", C.c_char_p), ("data", C.c_char_p), ("data_len", C.c_size_t), ("id", C.c_char_p)]
lib.evlog_open.restype = C.c_void_p
lib.evlog_append.argtypes = [C.c_void_p, C.c_char_p, C.c_int64, C.POINTER(Event), C.c_size_t, C.POINTER(C.c_uint64), C.c_void_p]
lib.evlog_read_stream.argtypes = [C.c_void_p, C.c_char_p, C.c_uint64, C.c_size_t, C.POINTER(C.c_void_p), C.c_void_p]
lib.evlog_events_count.argtypes = lib.evlog_events_free.argtypes = [C.c_void_p]
lib.evlog_events_type.argtypes = lib.evlog_events_version.argtypes = [C.c_void_p, C.c_size_t]
lib.evlog_events_type.restype, lib.evlog_events_version.restype = C.c_char_p, C.c_uint64
lib.evlog_close.argtypes = [C.c_void_p]

store = lib.evlog_open(sys.argv[1].encode(), None) or sys.exit("cannot open the store")
events = (Event * 2)(Event(b"Placed", b'{"n":1}', 7, None), Event(b"Paid", b"{}", 2, None))
first = C.c_uint64()
assert lib.evlog_append(store, b"order-1", -1, events, 2, C.byref(first), None) == 0  # -1: any
result = C.c_void_p()
assert lib.evlog_read_stream(store, b"order-1", 0, 100, C.byref(result), None) == 0
for i in range(lib.evlog_events_count(result)):
    print(lib.evlog_events_version(result, i), lib.evlog_events_type(result, i).decode())
lib.evlog_events_free(result)
lib.evlog_close(store)
