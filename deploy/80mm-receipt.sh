#!/bin/sh
# Add the 80 mm thermal printer as the CUPS queue "kiosk-receipt" (docs/deployment.md).
# Usage: sudo sh deploy/80mm-receipt.sh DEVICE_URI PPD
# The PPD must come from a driver that rasterises PDFs for the printer (printer-driver-escpos, or the
# vendor's CUPS driver): a raw queue would send PDF bytes to an ESC/POS printer, which prints garbage.
# e.g.   sudo sh deploy/80mm-receipt.sh usb://EPSON/TM-T20III /usr/share/ppd/epson-tm/tm-t20iii.ppd
set -eu
URI="${1:?device URI, see: lpinfo -v}"
PPD="${2:?PPD of the printer's CUPS driver, see: lpinfo -m | grep -i -e escpos -e tm-}"
lpadmin -p kiosk-receipt -E -v "$URI" -P "$PPD"
lpadmin -p kiosk-receipt -o media=Custom.80x200mm -o printer-error-policy=abort-job
cupsenable kiosk-receipt
cupsaccept kiosk-receipt
# Receipts carry personal data: do not keep job files in the CUPS spool after printing.
if ! grep -q '^PreserveJobFiles No' /etc/cups/cupsd.conf; then
  sed -i '/^PreserveJobFiles/d' /etc/cups/cupsd.conf
  echo 'PreserveJobFiles No' >> /etc/cups/cupsd.conf
  systemctl restart cups
fi
lpstat -p kiosk-receipt -l
