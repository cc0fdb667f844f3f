#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpike's ESP against scapy's, on veths between two namespaces. Usage: scapy-esp.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lab.sh"
lab_binaries "$1"
lab_init scapy-esp

lab_ns dut dut
lab_ns peer peer
lab_link "$dut" dut-wan 02:00:00:00:00:11 "$peer" peer-wan 02:00:00:00:00:01
lab_link "$dut" dut-lan 02:00:00:00:00:12 "$peer" peer-lan 02:00:00:00:00:02

/usr/bin/python3 "$here/scapy_esp.py" config "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
timeout 120 ip netns exec "$peer" /usr/bin/python3 "$here/scapy_esp.py" run "$LAB_DIR"
dpike_stop_all
