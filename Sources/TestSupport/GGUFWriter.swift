import Foundation
import Models

/// Writes small GGUF v3 files for tests: typed metadata and tensors given as raw bytes of any
/// ggml type, laid out with the standard 32-byte alignment.
public struct GGUFWriter {
    public enum Value {
        case string(String), strings([String]), floats([Float]), int32s([Int32]), uint32(UInt32), float32(Float), bool(Bool)
    }

    public struct TensorBlob {
        public let name: String
        public let ne: [Int]
        public let type: GGMLType
        public let bytes: [UInt8]
        public init(name: String, ne: [Int], type: GGMLType, bytes: [UInt8]) {
            self.name = name; self.ne = ne; self.type = type; self.bytes = bytes
        }
        /// An F32 tensor from values.
        public static func f32(_ name: String, ne: [Int], _ values: [Float]) -> TensorBlob {
            TensorBlob(name: name, ne: ne, type: .f32, bytes: values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
        }
    }

    public var metadata: [(String, Value)] = []
    public var tensors: [TensorBlob] = []

    public init(metadata: [(String, Value)] = [], tensors: [TensorBlob] = []) {
        self.metadata = metadata; self.tensors = tensors
    }

    public func data() -> Data {
        var out = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (key, value) in metadata {
            str(key)
            switch value {
            case let .string(s): u32(8); str(s)
            case let .strings(a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case let .floats(a): u32(9); u32(6); u64(UInt64(a.count)); a.forEach { u32($0.bitPattern) }
            case let .int32s(a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            case let .uint32(v): u32(4); u32(v)
            case let .float32(v): u32(6); u32(v.bitPattern)
            case let .bool(b): u32(7); out.append(b ? 1 : 0)
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.bytes.count + 31) / 32 * 32
        }
        for (t, o) in zip(tensors, offsets) {
            str(t.name); u32(UInt32(t.ne.count)); t.ne.forEach { u64(UInt64($0)) }; u32(t.type.rawValue); u64(UInt64(o))
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out.append(contentsOf: t.bytes)
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    /// Writes to a fresh temporary file and returns its URL.
    public func write(name: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
        try data().write(to: url)
        return url
    }
}
