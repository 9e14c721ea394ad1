#!/usr/bin/env python3
"""Writes the whole Gitpod public API (every `gitpod.v1` service) as one FileDescriptorSet.

Why: `contract/` holds only the runner-configuration service. The official Python SDK, PyPI
gitpod-sdk 1.2.0, ships the compiled descriptor of every proto file of the public API, so the
whole API can be had from it as one self-contained `.binpb` (a serialized
google.protobuf.FileDescriptorSet, what `buf build -o x.binpb` writes) for the mock's coming
`--contract` flag to serve.

What: each `*_pb2.py` in the wheel passes its file's serialized FileDescriptorProto to
`AddSerializedFile(b'...')`. This script reads that bytes literal with `ast`, without importing
the SDK (which needs its own protobuf runtime), so it needs only the standard library and
`protobuf` (google.protobuf). It starts from every file under `gitpod/v1/` whose package is
`gitpod.v1` and that declares a service, follows the imports, and writes those files and every
file they import, each after its imports; no other file (in 1.2.0 that leaves out
supervisor/v1/environmentopts.proto and two gitpod/v1 files no service needs). Imports come from
the wheel (gitpod/v1, buf/validate, gnostic); google/protobuf/*.proto, which it lacks, from
google.protobuf's own descriptor pool, so those few files are the installed protobuf's
(tested with 7.36.2). An import found in neither stops it, naming the file. The compiled
descriptors carry no source info, so the set has no doc comments. The wheel's
buf/validate/validate.proto is an older protovalidate than contract/'s (FieldConstraints, not
FieldRules; message-level `disabled`; IGNORE_IF_UNPOPULATED and IGNORE_IF_DEFAULT_VALUE): the
set carries it as the wheel has it, since the gitpod files' options were compiled against it.

Before writing, it loads the set into a fresh DescriptorPool file by file (every import must
already be there) and resolves every method's request and response type; then it prints the
files, the services and each service's methods (unary and streaming), and the total.

    python3 -m venv /tmp/pvenv && /tmp/pvenv/bin/pip install protobuf==7.36.2
    /tmp/pvenv/bin/python scripts/gitpod-api-descriptors.py [--wheel PATH] [--out FILE]

--wheel takes the wheel file or the wheel unpacked into a folder. Without it the script uses
the wheel cached in --cache-dir (default target/wheels), and downloads it there first when
missing (`pip download --no-deps --only-binary=:all: gitpod-sdk==1.2.0`). The wheel's
METADATA must say gitpod-sdk 1.2.0, and a wheel file must have the sha256 pinned below. The
default --out is target/gitpod-api.binpb; the defaults are under the repository root, paths
given on the command line are relative to the working directory.
"""

import argparse
import ast
import hashlib
import importlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

try:
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.message import DecodeError
except ImportError:
    sys.exit(f"gitpod-api-descriptors: needs PyPI protobuf in {sys.executable} (see the docstring)")

PACKAGE = "gitpod-sdk"
VERSION = "1.2.0"
WHEEL_NAME = "gitpod_sdk-1.2.0-py3-none-any.whl"
# sha256 of WHEEL_NAME as PyPI serves it: a re-uploaded or tampered wheel stops the script.
WHEEL_SHA256 = "2110627cde400ced2685b5740c5ebc86b7711a3ae3f075c0e89c9907297e8b59"
METADATA = f"gitpod_sdk-{VERSION}.dist-info/METADATA"
SERVICE_PACKAGE = "gitpod.v1"
SERVICE_DIR = "gitpod/v1/"
REPO = Path(__file__).resolve().parent.parent


class Failure(Exception):
    """A reason to stop, printed as is."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="gitpod-sdk 1.2.0 wheel file or unpacked folder")
    parser.add_argument("--out", type=Path, default=REPO / "target" / "gitpod-api.binpb")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "target" / "wheels")
    args = parser.parse_args()
    try:
        wheel = args.wheel if args.wheel else cached_wheel(args.cache_dir)
        sources = read_wheel(wheel)
        shipped = embedded_files(sources)
        files = closure(shipped)
        pool = load(files)
        data = descriptor_pb2.FileDescriptorSet(file=files).SerializeToString()
        write(args.out, data)
    except Failure as failure:
        print(f"gitpod-api-descriptors: {failure}", file=sys.stderr)
        return 1
    print(summary(wheel, files, pool, args.out, len(data)))
    return 0


def cached_wheel(cache_dir: Path) -> Path:
    """The pinned wheel in cache_dir, downloaded with pip when it is not there yet."""
    wheel = cache_dir / WHEEL_NAME
    if not wheel.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
                   "--no-deps", "--only-binary=:all:", f"{PACKAGE}=={VERSION}",
                   "-d", str(cache_dir)]
        print("+ " + " ".join(command), file=sys.stderr)
        if subprocess.run(command, stdout=sys.stderr).returncode != 0:
            raise Failure(f"pip could not download {PACKAGE}=={VERSION}")
        if not wheel.is_file():
            raise Failure(f"pip downloaded {PACKAGE}=={VERSION} but {wheel} is not there")
    return wheel


def read_wheel(wheel: Path) -> dict:
    """Every `*_pb2.py` of the wheel (a file or an unpacked folder) by its path, as text.

    Checks the wheel is the pinned one first: its METADATA, and a file's sha256.
    """
    if wheel.is_file():
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise Failure(f"{wheel}: sha256 {digest}, not the pinned {PACKAGE} {VERSION} wheel's "
                          f"{WHEEL_SHA256} (a bad download in the cache? delete it to fetch again)")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            if METADATA not in names:
                raise Failure(f"{wheel}: no {METADATA}; is it the {PACKAGE} {VERSION} wheel?")
            metadata = archive.read(METADATA).decode("utf-8")
            sources = {n: archive.read(n).decode("utf-8") for n in names if n.endswith("_pb2.py")}
    elif wheel.is_dir():
        if not (wheel / METADATA).is_file():
            raise Failure(f"{wheel}: no {METADATA}; is it the {PACKAGE} {VERSION} wheel unpacked?")
        metadata = (wheel / METADATA).read_text("utf-8")
        sources = {
            path.relative_to(wheel).as_posix(): path.read_text("utf-8")
            for path in wheel.rglob("*_pb2.py")
        }
    else:
        raise Failure(f"{wheel}: no such file or folder")
    fields = dict(line.split(": ", 1) for line in metadata.splitlines()[:10] if ": " in line)
    if (fields.get("Name"), fields.get("Version")) != (PACKAGE, VERSION):
        raise Failure(f"{wheel}: METADATA says {fields.get('Name')} {fields.get('Version')}, "
                      f"not {PACKAGE} {VERSION}")
    if not sources:
        raise Failure(f"{wheel}: no *_pb2.py modules")
    return sources


def embedded_files(sources: dict) -> dict:
    """The FileDescriptorProto each module embeds, by proto file name.

    Each module must pass exactly one bytes literal to `AddSerializedFile`, and the file it
    describes must be the one its path says (`a/b/c_pb2.py` describes `a/b/c.proto`).
    """
    files = {}
    for path, source in sorted(sources.items()):
        try:
            tree = ast.parse(source, filename=path)
        except SyntaxError as error:
            raise Failure(f"{path} does not parse: {error}") from None
        literals = [
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ]
        if len(literals) != 1:
            raise Failure(f"{path}: {len(literals)} AddSerializedFile(b'...') calls, expected one")
        try:
            proto = descriptor_pb2.FileDescriptorProto.FromString(literals[0])
        except DecodeError as error:
            raise Failure(f"{path}: its AddSerializedFile bytes do not decode: {error}") from None
        expected = path.removesuffix("_pb2.py") + ".proto"
        if proto.name != expected:
            raise Failure(f"{path} describes {proto.name!r}, expected {expected!r}")
        files[proto.name] = proto
    return files


def closure(shipped: dict) -> list:
    """The gitpod.v1 files with services and every file they import, each after its imports."""
    roots = sorted(
        name for name, proto in shipped.items()
        if name.startswith(SERVICE_DIR) and proto.package == SERVICE_PACKAGE and proto.service
    )
    if not roots:
        raise Failure(f"the wheel has no {SERVICE_PACKAGE} file that declares a service")
    ordered, done, visiting = [], set(), []

    def visit(name: str, importer: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise Failure("import cycle: " + " -> ".join(visiting[visiting.index(name):] + [name]))
        visiting.append(name)
        proto = shipped[name] if name in shipped else well_known(name, importer)
        for dependency in proto.dependency:
            visit(dependency, name)
        visiting.pop()
        done.add(name)
        ordered.append(proto)

    for root in roots:
        visit(root, "")
    return ordered


def well_known(name: str, importer: str) -> descriptor_pb2.FileDescriptorProto:
    """A google/protobuf file from google.protobuf's own pool; any other name is missing."""
    missing = f"{importer} imports {name}, which neither the wheel nor google.protobuf provides"
    if not name.startswith("google/protobuf/") or not name.endswith(".proto"):
        raise Failure(missing)
    module = name.removesuffix(".proto").replace("/", ".") + "_pb2"
    try:
        importlib.import_module(module)  # registers the file in the default pool
        found = descriptor_pool.Default().FindFileByName(name)
    except (ImportError, KeyError):
        raise Failure(missing) from None
    return descriptor_pb2.FileDescriptorProto.FromString(found.serialized_pb)


def load(files: list) -> descriptor_pool.DescriptorPool:
    """The files in a fresh pool, added in order; fails unless every import and type resolves."""
    pool, added = descriptor_pool.DescriptorPool(), set()
    for proto in files:
        for dependency in proto.dependency:
            if dependency not in added:
                raise Failure(f"{proto.name} imports {dependency}, not written before it")
        try:
            pool.Add(proto)
            pool.FindFileByName(proto.name)
        except Exception as error:  # noqa: BLE001 (the pool's error types differ by backend)
            raise Failure(f"{proto.name} does not load: {error}") from None
        added.add(proto.name)
    for service in services(files, pool):
        for method in service.methods:
            method.input_type.fields, method.output_type.fields  # resolved, or it raised
    return pool


def services(files: list, pool: descriptor_pool.DescriptorPool) -> list:
    return sorted(
        (pool.FindServiceByName(f"{proto.package}.{service.name}")
         for proto in files if proto.package == SERVICE_PACKAGE for service in proto.service),
        key=lambda service: service.full_name,
    )


def streaming(method) -> str:
    """'' for a unary method, else which side streams."""
    client, server = method.client_streaming, method.server_streaming
    return {(False, False): "", (False, True): "server", (True, False): "client"}.get(
        (client, server), "bidi")


def summary(wheel: Path, files: list, pool, out: Path, size: int) -> str:
    dirs = {}
    for proto in files:
        folder = proto.name.rsplit("/", 1)[0]
        dirs[folder] = dirs.get(folder, 0) + 1
    lines = [
        f"{PACKAGE} {VERSION} ({wheel}) -> {out}: {size} bytes",
        f"{len(files)} files: " + ", ".join(f"{count} {folder}/" for folder, count in dirs.items()),
        "",
        f"{'service':<48} {'methods':>7} {'unary':>5} {'streaming':>9}",
    ]
    total = unary = 0
    streams = []
    listed = services(files, pool)
    for service in listed:
        kinds = [streaming(method) for method in service.methods]
        plain = kinds.count("")
        total, unary = total + len(kinds), unary + plain
        lines.append(f"{service.full_name:<48} {len(kinds):>7} {plain:>5} {len(kinds) - plain:>9}")
        streams += [f"  {service.full_name}/{m.name} ({streaming(m)})"
                    for m in service.methods if streaming(m)]
    lines.append(f"{'total: ' + str(len(listed)) + ' services':<48} {total:>7} {unary:>5} "
                 f"{total - unary:>9}")
    if streams:
        lines += ["", "streaming methods:"] + streams
    return "\n".join(lines)


def write(out: Path, data: bytes) -> None:
    """Writes data to out whole or not at all (a temporary file renamed over it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
