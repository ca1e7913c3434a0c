"""Writes the small .npy files the NPY reader tests read, with NumPy itself, so the reader is
checked against the reference writer. Run from this folder: python3 make_npy_fixtures.py"""
import numpy as np

values = (np.arange(15, dtype=np.float32).reshape(3, 5) - 7) / 4
np.save("v1_3x5.npy", values)
np.lib.format.write_array(open("v2_3x5.npy", "wb"), values, version=(2, 0))
np.save("vector_7.npy", np.linspace(-1, 1, 7, dtype=np.float32))
np.save("float64_2x2.npy", np.eye(2))
np.save("fortran_3x5.npy", np.asfortranarray(values))
np.save("empty_0x4.npy", np.zeros((0, 4), dtype=np.float32))
