"""Leaf utilities private to the package: NumPy array helpers (:mod:`arrays`), hashed string
keys (:mod:`keys`), string columns (:mod:`strings`) and their growable buffers (:mod:`buffers`),
packaged reference data (:mod:`resources`), and worker processes (:mod:`processes`). They
import nothing else of leadmatch; their modules are imported by name."""
