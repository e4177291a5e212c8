import Foundation

/// A checkpoint file mapped read-only into memory. Resident weights point into it for as long as
/// the model lives: the kernel pages tensor bytes in on first use and can drop them again under
/// memory pressure (they are clean file pages), so a quantized model costs its file size, not the
/// float32 size.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let base: UnsafeRawPointer
    public let byteCount: Int

    public init(url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError.unreadable(file: url.path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.unreadable(file: url.path, reason: String(cString: strerror(errno)))
        }
        byteCount = Int(info.st_size)
        guard byteCount > 0 else { throw CheckpointError.corrupt(file: url.path, reason: "the file is empty") }
        let p = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw CheckpointError.unreadable(file: url.path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }
}
