"""Type stubs of trigml (the compiled part is trigml._core); docs/python.md walks through them."""

import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

__version__: str
has_training: bool  # train, evaluate, load_model and Model exist (built with libtorch)

PathLike = Union[str, os.PathLike]
Array = Union[np.ndarray, "Jagged"]

class Error(Exception):
    """Base of trigml's errors; says where it happened."""
    file: Optional[str]  # path or URL of the input
    offset: Optional[int]  # byte offset in the file
    object: Optional[str]  # "branch 'Jet.PT'", "column 'HT'", "key 'events;1'"
    detail: str  # the message without the location

class FormatError(Error):
    """The input is malformed: truncated, corrupt, or inconsistent with itself."""

class UnsupportedError(Error):
    """The input is valid but uses a construct trigml does not read."""

class NotFoundError(Error):
    """A name that was asked for does not exist: key, tree, branch, column, process."""

class IoError(Error):
    """The operating system refused: cannot open, read, write or rename."""

class UsageError(Error):
    """The caller asked for something impossible: bad option, bad range, bad configuration."""

class InternalError(Error):
    """A broken invariant inside trigml itself: always a bug."""

class Jagged:
    """Entry i is content[offsets[i]:offsets[i + 1]]; views of trigml's buffers."""
    offsets: np.ndarray  # int64, len(self) + 1
    content: Union[np.ndarray, "Jagged"]
    def __init__(self, offsets: np.ndarray, content: Union[np.ndarray, "Jagged"]) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, entry: Union[int, slice]) -> Any: ...
    def lengths(self) -> np.ndarray: ...
    def to_list(self) -> List[Any]: ...

class Tree:
    """A TTree: its branches, read into numpy arrays."""
    name: str
    title: str
    num_entries: int
    def __len__(self) -> int: ...
    def keys(self, full_paths: bool = False) -> List[str]: ...
    def typenames(self, full_paths: bool = False) -> Dict[str, str]: ...
    def cluster_boundaries(self) -> List[int]: ...
    def arrays(self, branches: Optional[Sequence[str]] = None, entry_start: Optional[int] = None,
               entry_stop: Optional[int] = None, threads: int = 0) -> Dict[str, Any]: ...
    def array(self, branch: str, entry_start: Optional[int] = None, entry_stop: Optional[int] = None) -> Any: ...
    def iterate(self, branches: Optional[Sequence[str]] = None, step_size: int = 100000,
                entry_start: Optional[int] = None, entry_stop: Optional[int] = None) -> "TreeIterator": ...

class TreeIterator(Iterator[Dict[str, Any]]):
    def __iter__(self) -> "TreeIterator": ...
    def __next__(self) -> Dict[str, Any]: ...

class File:
    """A ROOT file opened by trigml.open."""
    file_path: str
    def keys(self, recursive: bool = True, cycle: bool = True) -> List[str]: ...
    def classnames(self) -> Dict[str, str]: ...
    def __getitem__(self, path: str) -> Any: ...
    def __contains__(self, path: str) -> bool: ...
    def __enter__(self) -> "File": ...
    def __exit__(self, *args: Any) -> None: ...

def open(path: str) -> File:
    """Opens a ROOT file: a local path, root:// or http(s):// URL."""

def read_parquet(path: PathLike, columns: Optional[Sequence[str]] = None, as_pandas: bool = False,
                 threads: int = 1) -> Any:
    """A Parquet file or dataset directory as a dict of arrays, or a pandas.DataFrame."""

def write_tree(path: PathLike, name: str, branches: Mapping[str, Array], compression: str = "zlib") -> None:
    """A ROOT file with one TTree of flat and jagged numeric branches, through trigml's writer."""

def keep_freed_memory_for_reuse() -> None:
    """The command line's allocator setting for this process: freed buffers reused, resident size kept at its peak."""

def generate(out: PathLike, process: str, events: int, seed: int, pileup: float = 20.0, threads: int = 1,
             progress: bool = True) -> None:
    """Simulated events of one process into a Delphes-like ROOT file (trigml generate)."""

def ingest(out: Optional[PathLike] = None, classes: Mapping[str, Sequence[str]] = ..., config: Optional[str] = None,
           threads: int = 0, schema: Optional[str] = None, on_error: Optional[str] = None, resume: bool = False,
           compression: Optional[str] = None, progress: bool = True) -> Dict[str, Any]:
    """ROOT files -> Parquet dataset of selected events (trigml ingest); returns the summary."""

def prepare(input: PathLike, out: PathLike, seed: int = 42, test_fraction: float = 0.2,
            balance_ratio: Sequence[float] = ..., memory_limit: int = 2 << 30, threads: int = 0,
            resume: bool = False, rows_per_part: Optional[int] = None, compression: Optional[str] = None,
            progress: bool = True) -> Dict[str, Any]:
    """Balance, split, scale, sort, shuffle (trigml prepare); returns the summary."""

def train(data: PathLike, out: PathLike, model: str = "inclusive", epochs: int = 10, batch_size: int = 128,
          validation_fraction: float = 0.1, patience: int = 3, lr_step: int = 0, lr_gamma: float = 0.5,
          seed: int = 1, shuffle_buffer: int = 8192, cache: bool = False, max_events: int = 0, threads: int = 1,
          resume: bool = False, hlf_layers: Optional[Sequence[int]] = None, recurrent_units: int = 50,
          head_units: int = 25, dropout: float = 0.2, learning_rate: float = 1e-3, clip_norm: float = 0.0,
          progress: bool = True) -> Dict[str, Any]:
    """Trains a classifier into a model directory (trigml train); returns the history."""

def evaluate(model: PathLike, data: PathLike, out: PathLike, batch_size: int = 1024, threads: int = 1,
             progress: bool = True) -> Dict[str, Any]:
    """Judges a model on the test split into a report directory (trigml evaluate); returns the metrics."""

class Model:
    """A trained model directory, loaded for prediction."""
    path: str
    architecture: str
    info: Dict[str, Any]
    preprocessing: Dict[str, Any]
    def predict(self, hlf: Optional[Array] = None, particles: Optional[Jagged] = None, batch_size: int = 1024,
                threads: int = 1) -> np.ndarray: ...
    def predict_events(self, events: Union[PathLike, Sequence[str], File], accept: Optional[str] = None,
                       schema: str = "delphes", threads: int = 0) -> Dict[str, Any]: ...

def load_model(path: PathLike) -> Model:
    """Loads a model directory (trigml train's output)."""
