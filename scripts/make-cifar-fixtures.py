#!/usr/bin/env python3
"""Writes the small CIFAR fixtures under test/fixtures/cifar: a few records per batch in each of the
four downloads' exact layouts, their .tar.gz archives, the same batch re-pickled by Python 3 in
protocols 2-5, and hostile pickles that the importer must refuse.

    python3 scripts/make-cifar-fixtures.py      (needs numpy; the output is the same on every run)

The python versions are pickled as Python 2's cPickle wrote CIFAR (protocol 2, str as BINSTRING,
numpy under numpy.core), with a real numpy array; the binary versions are CIFAR's records of label
byte(s) and 3072 pixel bytes. The images are patterns that make each record distinct, not photos.
"""
import gzip
import io
import os
import pickle
import pickletools
import shutil
import struct
import tarfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "cifar")

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR100_FINE = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle"
    " caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant"
    " flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man"
    " maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree"
    " plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper"
    " snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor train"
    " trout tulip turtle wardrobe whale willow_tree wolf woman worm"
).split()
CIFAR100_COARSE = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices"
    " household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes"
    " large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees"
    " vehicles_1 vehicles_2"
).split()
assert len(CIFAR10_NAMES) == 10 and len(CIFAR100_FINE) == 100 and len(CIFAR100_COARSE) == 20

CIFAR10_PER_BATCH = 6  # the real batches hold 10,000 records each; batches.meta says so
RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1, np.uint8))[0]


def image(index, label):
    """3072 bytes: the red plane, the green plane, the blue plane, each 32x32 row by row."""
    y, x = np.mgrid[0:32, 0:32]
    red = (x * 8 + label * 20) % 256
    green = (y * 8 + index * 3) % 256
    blue = (index * 37 + x + y) % 256
    return np.stack([red, green, blue]).astype(np.uint8).reshape(3072)


class Python2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote for CIFAR: str as (SHORT_)BINSTRING, numpy under numpy.core."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj if n < 256 else pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    def save_text(self, obj):
        self.save_py2_str(obj.encode("ascii"))

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_text

    def save_global(self, obj, name=None):
        if obj is RECONSTRUCT:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def py2_pickle(value):
    out = io.BytesIO()
    Python2Pickler(out, protocol=2).dump(value)
    blob = out.getvalue()
    assert b"_codecs" not in blob and b"numpy._core" not in blob
    return blob


def write(path, blob):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(blob)


def cifar10_records():
    """(batch name, [(index, label)]) for data_batch_1..5 and test_batch: every class in training."""
    batches = []
    for b in range(5):
        batches.append((f"data_batch_{b + 1}", [(b * CIFAR10_PER_BATCH + r, (b * CIFAR10_PER_BATCH + r) % 10) for r in range(CIFAR10_PER_BATCH)]))
    batches.append(("test_batch", [(100 + r, (r * 3) % 10) for r in range(CIFAR10_PER_BATCH)]))
    return batches


def cifar10_batch(name, records, text=bytes):
    """The dict of one python-version batch; text=str gives the keys Python 3 would re-pickle."""
    return {
        text(b"batch_label"): text(f"batch {name}".encode()),
        text(b"labels"): [label for _, label in records],
        text(b"data"): np.stack([image(i, label) for i, label in records]),
        text(b"filenames"): [text(f"record_{i}.png".encode()) for i, _ in records],
    }


def make_cifar10():
    py = os.path.join(OUT, "cifar-10-batches-py")
    binary = os.path.join(OUT, "cifar-10-batches-bin")
    for name, records in cifar10_records():
        write(os.path.join(py, name), py2_pickle(cifar10_batch(name, records)))
        write(os.path.join(binary, name + ".bin"), b"".join(bytes([label]) + image(i, label).tobytes() for i, label in records))
    meta = {b"num_cases_per_batch": CIFAR10_PER_BATCH, b"label_names": [n.encode() for n in CIFAR10_NAMES], b"num_vis": 3072}
    write(os.path.join(py, "batches.meta"), py2_pickle(meta))
    write(os.path.join(binary, "batches.meta.txt"), ("\n".join(CIFAR10_NAMES) + "\n\n").encode())
    for folder in (py, binary):
        write(os.path.join(folder, "readme.html"), b"<meta HTTP-EQUIV='REFRESH' content='0; url=https://example.org/cifar'>\n")
    # The same first batch as Python 3 re-pickles it, in each protocol it offers; protocol 4's labels
    # are a numpy int64 array, as some re-saved copies have them.
    name, records = cifar10_records()[0]
    for protocol in (2, 3, 4, 5):
        batch = cifar10_batch(name, records, text=lambda b: b.decode())
        if protocol == 4:
            batch["labels"] = np.array(batch["labels"], dtype=np.int64)
        write(os.path.join(OUT, "repickled", f"data_batch_1.protocol-{protocol}"), pickle.dumps(batch, protocol=protocol))


def make_cifar100():
    py = os.path.join(OUT, "cifar-100-python")
    binary = os.path.join(OUT, "cifar-100-binary")
    # One training record per fine class; the coarse label here is fine // 5, not CIFAR-100's real grouping.
    splits = {"train": [(i, i) for i in range(100)], "test": [(200 + i, i * 5) for i in range(20)]}
    for split, records in splits.items():
        batch = {
            b"filenames": [f"record_{i}.png".encode() for i, _ in records],
            b"batch_label": f"{split}ing batch 1 of 1".encode(),
            b"fine_labels": [fine for _, fine in records],
            b"coarse_labels": [fine // 5 for _, fine in records],
            b"data": np.stack([image(i, fine) for i, fine in records]),
        }
        write(os.path.join(py, split), py2_pickle(batch))
        write(os.path.join(binary, split + ".bin"), b"".join(bytes([fine // 5, fine]) + image(i, fine).tobytes() for i, fine in records))
    meta = {b"fine_label_names": [n.encode() for n in CIFAR100_FINE], b"coarse_label_names": [n.encode() for n in CIFAR100_COARSE]}
    write(os.path.join(py, "meta"), py2_pickle(meta))
    write(os.path.join(py, "file.txt~"), b"")
    write(os.path.join(binary, "fine_label_names.txt"), ("\n".join(CIFAR100_FINE) + "\n").encode())
    write(os.path.join(binary, "coarse_label_names.txt"), ("\n".join(CIFAR100_COARSE) + "\n").encode())


def make_archive(folder, archive):
    """A .tar.gz as the downloads are: one top folder; fixed times and owners so reruns match."""

    def plain(info):
        info.mtime, info.uid, info.gid, info.uname, info.gname = 1_240_000_000, 0, 0, "", ""
        info.mode = 0o755 if info.isdir() else 0o644
        return info

    with open(os.path.join(OUT, archive), "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(os.path.join(OUT, folder), arcname=folder, filter=plain, recursive=False)
            for name in sorted(os.listdir(os.path.join(OUT, folder))):
                tar.add(os.path.join(OUT, folder, name), arcname=f"{folder}/{name}", filter=plain)


def make_hostile():
    """Pickles the importer must refuse. They are only written, never loaded."""
    # Hand-written protocol 2: a batch whose data is os.system("echo pwned").
    os_system = b"\x80\x02}q\x00(X\x04\x00\x00\x00dataq\x01cos\nsystem\nq\x02X\n\x00\x00\x00echo pwnedq\x03\x85q\x04Rq\x05u."
    pickletools.dis(os_system, out=io.StringIO())  # a well-formed pickle, checked without running it
    write(os.path.join(OUT, "hostile", "os-system.pickle"), os_system)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    # What Python itself writes for such an object: posix.system, through STACK_GLOBAL in protocol 4.
    write(os.path.join(OUT, "hostile", "posix-system.protocol-4"), pickle.dumps({"data": Evil(), "labels": []}, protocol=4))


def check():
    """Reads every python-version file back with Python's own pickle and compares it to the .bin records."""
    for name, records in cifar10_records():
        with open(os.path.join(OUT, "cifar-10-batches-py", name), "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        with open(os.path.join(OUT, "cifar-10-batches-bin", name + ".bin"), "rb") as f:
            raw = np.frombuffer(f.read(), np.uint8).reshape(-1, 3073)
        assert batch[b"data"].shape == (CIFAR10_PER_BATCH, 3072) and batch[b"data"].dtype == np.uint8
        assert (raw[:, 1:] == batch[b"data"]).all() and list(raw[:, 0]) == batch[b"labels"]
    for protocol in (2, 3, 4, 5):
        with open(os.path.join(OUT, "repickled", f"data_batch_1.protocol-{protocol}"), "rb") as f:
            assert (pickle.load(f)["data"] == batch_data_1()).all()


def batch_data_1():
    with open(os.path.join(OUT, "cifar-10-batches-py", "data_batch_1"), "rb") as f:
        return pickle.load(f, encoding="bytes")[b"data"]


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    make_cifar10()
    make_cifar100()
    make_archive("cifar-10-batches-py", "cifar-10-python.tar.gz")
    make_archive("cifar-100-binary", "cifar-100-binary.tar.gz")
    make_hostile()
    check()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total // 1024} KiB)")
