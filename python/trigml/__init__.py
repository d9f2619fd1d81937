"""trigml from Python: ROOT and Parquet into numpy and pandas, the pipeline, trained models.

Reading, uproot's way::

    import trigml
    f = trigml.open("events.root")          # local path, root:// or https:// URL
    tree = f["Delphes"]
    arrays = tree.arrays(["Jet.PT", "Event.Number"], entry_stop=1000)
    arrays["Jet.PT"]                         # trigml.Jagged: .offsets and .content (numpy views)

Datasets: ``trigml.read_parquet(path, columns=..., as_pandas=False)``. The pipeline:
``trigml.generate``, ``ingest``, ``prepare``, ``train``, ``evaluate`` take the command line's options
as keyword arguments and return their summaries as dicts. Models: ``trigml.load_model(dir)``.

Long calls release the GIL; Ctrl-C stops them at their next progress report (KeyboardInterrupt),
leaving no finished-looking output. Errors are ``trigml.Error`` and its subclasses, with ``file``,
``offset`` and ``object`` attributes saying where. See docs/python.md.
"""

from ._core import (  # noqa: F401
    Error,
    File,
    FormatError,
    InternalError,
    IoError,
    Jagged,
    NotFoundError,
    Tree,
    TreeIterator,
    UnsupportedError,
    UsageError,
    __version__,
    generate,
    has_training,
    ingest,
    keep_freed_memory_for_reuse,
    open,
    prepare,
    read_parquet,
    write_tree,
)

__all__ = [
    "Error", "FormatError", "UnsupportedError", "NotFoundError", "IoError", "UsageError", "InternalError",
    "File", "Tree", "TreeIterator", "Jagged", "open", "read_parquet", "write_tree", "generate", "ingest", "prepare",
    "keep_freed_memory_for_reuse",
    "has_training", "__version__",
]

if has_training:
    from ._core import Model, evaluate, load_model, train  # noqa: F401

    __all__ += ["Model", "train", "evaluate", "load_model"]
