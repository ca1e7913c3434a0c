"""The real-vector sets of the index comparisons (run-index-compare.sh, run-flat-scan.sh), cut
from ../shared/datasets/metatool's MiniLM query embeddings: 1000 held-out queries
(queries 20000-20999) and the first 20k queries as a catalogue.

python metatool_sets.py METATOOL_DIR OUT_DIR   → OUT_DIR/queries1000.npy, OUT_DIR/catalogue20k.npy
"""
import os
import sys

import numpy as np

source, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
q = np.load(os.path.join(source, "queries.npy"))
np.save(os.path.join(out, "queries1000.npy"), q[20000:21000])
np.save(os.path.join(out, "catalogue20k.npy"), q[:20000])
