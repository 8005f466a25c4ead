# Filled by the modules of this package.
