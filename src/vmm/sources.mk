# VMM (vmm) and its backends.
