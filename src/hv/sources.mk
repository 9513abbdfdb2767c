# Engine (hv).  Listed here until the engine has sources of its own.
