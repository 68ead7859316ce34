#!/bin/sh
# Add the 80 mm thermal printer as the CUPS queue "kiosk-receipt" (docs/deployment.md).
# Usage: sudo sh deploy/80mm-receipt.sh DEVICE_URI [PPD]
# e.g.   sudo sh deploy/80mm-receipt.sh usb://EPSON/TM-T20III /usr/share/ppd/epson-tm/tm-t20iii.ppd
set -eu
URI="${1:?device URI, see: lpinfo -v}"
PPD="${2:-}"
if [ -n "$PPD" ]; then
  lpadmin -p kiosk-receipt -E -v "$URI" -P "$PPD"
else
  lpadmin -p kiosk-receipt -E -v "$URI" -m raw
fi
lpadmin -p kiosk-receipt -o media=Custom.80x200mm -o printer-error-policy=abort-job
cupsenable kiosk-receipt
cupsaccept kiosk-receipt
lpstat -p kiosk-receipt -l
