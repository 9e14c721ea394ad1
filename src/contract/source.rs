//! Where a user's contract comes from: a directory of `.proto` files, compiled with protox
//! against the bundled imports and the well-known types, or a serialized `FileDescriptorSet`;
//! either way checked into a descriptor pool that declares at least one service.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;
use prost_reflect::DescriptorPool;
use protox::file::{
    ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver,
};

#[cfg(test)]
mod tests;

/// For tests elsewhere: `proto`, one file, compiled in a fresh directory named for `name`.
#[cfg(test)]
pub(crate) fn compile_text(name: &str, proto: &str) -> DescriptorPool {
    let dir = std::env::temp_dir().join(format!("gpm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.proto"), proto).unwrap();
    compile(&dir).unwrap()
}

/// The imports a contract directory may use without holding them, by import name. A file of
/// the same name in the directory wins over these; the well-known `google/protobuf/*` types
/// come from protox.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "buf/validate/validate.proto",
        include_str!("../../contract/buf/validate/validate.proto"),
    ),
    (
        "google/api/annotations.proto",
        include_str!("../../contract/google/api/annotations.proto"),
    ),
    (
        "google/api/field_behavior.proto",
        include_str!("../../contract/google/api/field_behavior.proto"),
    ),
    (
        "google/api/http.proto",
        include_str!("../../contract/google/api/http.proto"),
    ),
    (
        "google/api/resource.proto",
        include_str!("../../contract/google/api/resource.proto"),
    ),
];

/// Loads the contract at `path`: a directory is compiled from every `.proto` file under it;
/// any other file is read as a serialized `FileDescriptorSet` (`.binpb`, `.pb`, `.desc`), which
/// must hold its imports.
pub fn compile(path: &Path) -> Result<DescriptorPool, SourceError> {
    let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => SourceError::NotFound {
            path: path.to_path_buf(),
        },
        _ => SourceError::Io {
            path: path.to_path_buf(),
            error,
        },
    })?;
    let pool = if metadata.is_dir() {
        compile_dir(path)?
    } else {
        decode_set(path)?
    };
    if pool.services().next().is_none() {
        return Err(SourceError::NoService {
            path: path.to_path_buf(),
        });
    }
    Ok(pool)
}

/// Why a contract could not be loaded, naming the path, file or import at fault.
#[derive(Debug)]
pub enum SourceError {
    /// Nothing exists at the path given.
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// A file or directory could not be read.
    Io {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The directory holds no `.proto` file, at any depth.
    NoProtoFiles {
        /// The directory.
        dir: PathBuf,
    },
    /// protox rejected a `.proto` file: a syntax error, a missing import, an unknown type…
    Compile {
        /// The file at fault: its path when it is in the contract directory, else its import
        /// name (a bundled or well-known file). None when protox names no file.
        file: Option<PathBuf>,
        /// The 1-based line and column, when protox knows them.
        position: Option<(usize, usize)>,
        /// protox's message.
        message: String,
    },
    /// The file is not a serialized `FileDescriptorSet`.
    NotDescriptorSet {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        reason: String,
    },
    /// A file of the descriptor set imports one the set does not hold.
    MissingImport {
        /// The descriptor set.
        path: PathBuf,
        /// The importing file's name.
        file: String,
        /// The import the set lacks.
        import: String,
    },
    /// The descriptor set decodes but its descriptors do not check (an unknown type, a
    /// duplicate name…).
    InvalidDescriptorSet {
        /// The descriptor set.
        path: PathBuf,
        /// prost-reflect's message, after the file it names.
        message: String,
    },
    /// The contract compiles but declares no service, so there would be nothing to serve.
    NoService {
        /// The contract's path.
        path: PathBuf,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::NotFound { path } => {
                write!(f, "contract path not found: {}", path.display())
            }
            SourceError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            SourceError::NoProtoFiles { dir } => write!(
                f,
                "contract directory {} holds no .proto files",
                dir.display()
            ),
            SourceError::Compile {
                file,
                position,
                message,
            } => {
                if let Some(file) = file {
                    write!(f, "{}:", file.display())?;
                    if let Some((line, column)) = position {
                        write!(f, "{line}:{column}:")?;
                    }
                    f.write_str(" ")?;
                }
                f.write_str(message)
            }
            SourceError::NotDescriptorSet { path, reason } => write!(
                f,
                "{} is not a serialized FileDescriptorSet ({reason}); a contract is a directory \
                 of .proto files or a descriptor set (.binpb, .pb, .desc)",
                path.display()
            ),
            SourceError::MissingImport { path, file, import } => write!(
                f,
                "{}: {file} imports {import}, which the descriptor set does not hold; build the \
                 set with its imports (buf build, or protoc --include_imports)",
                path.display()
            ),
            SourceError::InvalidDescriptorSet { path, message } => {
                write!(f, "{}: invalid descriptor set: {message}", path.display())
            }
            SourceError::NoService { path } => write!(
                f,
                "the contract at {} declares no service, so there is nothing to serve",
                path.display()
            ),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Compiles every `.proto` file under `dir`, by its name relative to `dir`.
fn compile_dir(dir: &Path) -> Result<DescriptorPool, SourceError> {
    let mut files = Vec::new();
    collect_protos(dir, &mut files)?;
    if files.is_empty() {
        return Err(SourceError::NoProtoFiles {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();

    let mut resolver = ChainFileResolver::new();
    resolver.add(IncludeFileResolver::new(dir.to_path_buf()));
    resolver.add(Bundled);
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true).include_source_info(true);
    // Whole paths, not names: protox maps a path under the include directory to its name, where
    // a relative name could be mistaken for a path when `dir` is itself relative.
    compiler
        .open_files(&files)
        .map_err(|err| compile_error(dir, &err))?;
    // Through the encoded set rather than `compiler.descriptor_pool()`: prost-reflect lays out
    // fields before protox interprets their options, so that pool packs a `[packed = false]`
    // field; decoded afresh, the options are there from the start, as for a descriptor set.
    let encoded = compiler.encode_file_descriptor_set();
    DescriptorPool::decode(encoded.as_slice()).map_err(|err| SourceError::Compile {
        file: err.file().map(PathBuf::from),
        position: None,
        message: err.to_string(),
    })
}

/// The `.proto` files under `dir`, recursively. Symlinked files count; symlinked directories
/// are not followed, so a link cycle cannot loop.
fn collect_protos(dir: &Path, into: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let unreadable = |error| SourceError::Io {
        path: dir.to_path_buf(),
        error,
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        if entry.file_type().map_err(unreadable)?.is_dir() {
            collect_protos(&path, into)?;
        } else if path.extension().is_some_and(|e| e == "proto") && path.is_file() {
            if path.to_str().is_none() {
                return Err(SourceError::Io {
                    path,
                    error: io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a .proto file's path must be UTF-8 to be imported",
                    ),
                });
            }
            into.push(path);
        }
    }
    Ok(())
}

/// protox's error as `file:line:column: message`, the file being its path under `dir` when it
/// is there.
fn compile_error(dir: &Path, err: &protox::Error) -> SourceError {
    let file = err.file().map(|name| {
        let on_disk = dir.join(name);
        if on_disk.is_file() {
            on_disk
        } else {
            PathBuf::from(name)
        }
    });
    let mut message = err.to_string();
    if err.is_io() {
        if let Some(cause) = std::error::Error::source(err) {
            message = format!("{message}: {cause}");
        }
    }
    SourceError::Compile {
        file,
        position: position(err),
        message,
    }
}

/// The 1-based line and column of the error's first label, read from the source protox kept.
fn position(err: &protox::Error) -> Option<(usize, usize)> {
    use miette::Diagnostic as _;
    let label = err.labels()?.next()?;
    let contents = err.source_code()?.read_span(label.inner(), 0, 0).ok()?;
    Some((contents.line() + 1, contents.column() + 1))
}

/// Serves the [`BUNDLED`] files to protox by import name.
#[derive(Debug)]
struct Bundled;

impl FileResolver for Bundled {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match BUNDLED.iter().find(|(bundled, _)| *bundled == name) {
            Some((name, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Reads a serialized `FileDescriptorSet`, after checking that it holds every file it imports.
fn decode_set(path: &Path) -> Result<DescriptorPool, SourceError> {
    let bytes = std::fs::read(path).map_err(|error| SourceError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let not_a_set = |reason: String| SourceError::NotDescriptorSet {
        path: path.to_path_buf(),
        reason,
    };
    let set = FileDescriptorSet::decode(bytes.as_slice()).map_err(|e| not_a_set(e.to_string()))?;
    if set.file.is_empty() {
        return Err(not_a_set("it holds no files".to_string()));
    }
    let held: std::collections::HashSet<&str> = set.file.iter().map(|f| f.name()).collect();
    for file in &set.file {
        if let Some(import) = file.dependency.iter().find(|i| !held.contains(i.as_str())) {
            return Err(SourceError::MissingImport {
                path: path.to_path_buf(),
                file: file.name().to_string(),
                import: import.clone(),
            });
        }
    }
    // From the bytes, not `set`: prost_types drops the custom options (buf.validate, google.api)
    // that the pool keeps.
    DescriptorPool::decode(bytes.as_slice()).map_err(|err| SourceError::InvalidDescriptorSet {
        path: path.to_path_buf(),
        message: match err.file() {
            Some(file) => format!("{file}: {err}"),
            None => err.to_string(),
        },
    })
}
