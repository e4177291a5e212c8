import Foundation

/// Writes GGUF v3 files: metadata key/values in the given order, a tensor table, then the
/// tensor data, each tensor padded to the alignment (`general.alignment`, default 32), as
/// gguf-py's `GGUFWriter` lays them out.
public enum GGUFWriting {
    public struct TensorData {
        public let name: String
        /// ggml order: `ne[0]` is the row length.
        public let ne: [Int]
        public let type: GGMLType
        public let bytes: Data
        public init(name: String, ne: [Int], type: GGMLType, bytes: Data) {
            self.name = name; self.ne = ne; self.type = type; self.bytes = bytes
        }
    }

    public static func data(metadata: [(String, GGUFValue)], tensors: [TensorData]) -> Data {
        let alignment = metadata.first { $0.0 == "general.alignment" }?.1.int ?? 32
        var out = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: Array(s.utf8)) }
        func pad() { while out.count % alignment != 0 { out.append(0) } }
        func payload(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): out.append(x)
            case .int8(let x): out.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case .uint32(let x): u32(x)
            case .int32(let x): u32(UInt32(bitPattern: x))
            case .float32(let x): u32(x.bitPattern)
            case .bool(let b): out.append(b ? 1 : 0)
            case .string(let s): str(s)
            case .uint64(let x): u64(x)
            case .int64(let x): u64(UInt64(bitPattern: x))
            case .float64(let x): u64(x.bitPattern)
            case .array(let elementType, let items):
                u32(elementType); u64(UInt64(items.count)); items.forEach(payload)
            }
        }
        u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (key, value) in metadata { str(key); u32(typeId(value)); payload(value) }
        var offset = 0
        for t in tensors {
            str(t.name); u32(UInt32(t.ne.count)); t.ne.forEach { u64(UInt64($0)) }; u32(t.type.rawValue); u64(UInt64(offset))
            offset += (t.bytes.count + alignment - 1) / alignment * alignment
        }
        pad()
        for t in tensors { out.append(t.bytes); pad() }
        return out
    }

    public static func write(metadata: [(String, GGUFValue)], tensors: [TensorData], to url: URL) throws {
        try data(metadata: metadata, tensors: tensors).write(to: url, options: .atomic)
    }

    static func typeId(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }
}
