#!/bin/sh
# soak: 200,000 verified calls with 10% of the module's allocations failing
# (seeded: the same seed injects the same failures for the same sequence of
# allocations), every object kind x every storage strategy, both paths:
# 150,000 through io_uring at queue depth 64, 50,000 through blocking
# ioctls. Every -ENOMEM must be explained by an injection, every other
# call must return the model's value, each exactly once, nothing leaked.
. "$(dirname "$0")/lib/scenario.sh"

step dynasync run --no-progress --path uring --ops 150000 --qd 64 --batch 16 --seed 7 \
	--fault probability=10,seed=7 --verdict soak-uring
step dynasync run --no-progress --path ioctl --ops 50000 --seed 8 \
	--fault probability=10,seed=8 --verdict soak-ioctl
verdict soak
