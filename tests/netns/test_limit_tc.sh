#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_limit.sh with the per-source limits at TCX ingress (attach --hook tc):
# the same traffic, bars and counter checks.
FG_LIMIT_HOOK=tc exec bash "$(dirname "$0")/test_limit.sh"
