# Firmware model tests.
TESTS += fw/test_launch_digest
