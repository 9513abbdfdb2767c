# Firmware model (fw).
