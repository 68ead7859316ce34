# PyInstaller runtime hook: make pyzbar find the libzbar carried in the build, even on a machine
# without the libzbar0 package (ctypes.util.find_library only looks at the system's libraries).
import ctypes.util
import os
import sys

_bundle = getattr(sys, "_MEIPASS", "")
_real_find_library = ctypes.util.find_library


def _find_library(name):
    if name == "zbar" and _bundle:
        for entry in os.listdir(_bundle):
            if entry.startswith("libzbar.so"):
                return os.path.join(_bundle, entry)
    return _real_find_library(name)


ctypes.util.find_library = _find_library
