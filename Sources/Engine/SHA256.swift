import Foundation
import Crypto

/// SHA-256 as hex strings, for model file hashes, data manifests and config hashes. The digest
/// is swift-crypto's (BoringSSL's on Linux, with its SHA extensions code paths); files stream
/// through a 1 MiB buffer so a multi-gigabyte checkpoint is never held in memory.
public enum SHA256 {
    public static func hex<D: DataProtocol>(of data: D) -> String { hex(Crypto.SHA256.hash(data: data)) }

    public static func hex(of string: String) -> String { hex(of: Data(string.utf8)) }

    public static func hex(ofFile url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = Crypto.SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(hasher.finalize())
    }

    static func hex<Digest: Sequence>(_ digest: Digest) -> String where Digest.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0x0f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
