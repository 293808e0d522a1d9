import os

from setuptools import Extension, setup

# varwheel hands the variant's compiler flags to setuptools in CFLAGS
# (-march=x86-64-v3, ...) and the variant itself in VARWHEEL_VARIANT_LABEL.
label = os.environ.get("VARWHEEL_VARIANT_LABEL", "")

setup(
    ext_modules=[
        Extension("hello_ext", ["hello_ext.c"], define_macros=[("HELLO_LABEL", f'"{label}"')]),
    ]
)
