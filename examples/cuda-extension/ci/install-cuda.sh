#!/bin/sh
# cibuildwheel before-all for the CUDA variant: the CUDA 13.0 compiler and
# runtime headers inside the manylinux_2_28 (AlmaLinux 8) build container.
# The workflow sets it only for matrix entries with nvidia :: properties.
set -eux
dnf install -y dnf-plugins-core
dnf config-manager --add-repo https://developer.download.nvidia.com/compute/cuda/repos/rhel8/x86_64/cuda-rhel8.repo
dnf install -y cuda-nvcc-13-0 cuda-cudart-devel-13-0
/usr/local/cuda/bin/nvcc --version
