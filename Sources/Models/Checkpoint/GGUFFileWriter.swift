import Foundation

/// Writes a GGUF v3 file: metadata (any `GGUFValue`), tensor infos, then each tensor's bytes in
/// order, every one padded to `general.alignment` (32) as llama.cpp and gguf-py lay them out —
/// the layout `GGUFFile.checkTensorTable` checks. Tensor bytes are asked for one at a time, so a
/// multi-gigabyte checkpoint never sits in memory whole; the file appears under its name only
/// once complete (written to a temporary sibling, then renamed).
public struct GGUFFileWriter {
    public struct TensorSpec: Sendable {
        public let name: String
        /// ggml order: `ne[0]` is the row length.
        public let ne: [Int]
        public let type: GGMLType
        public init(name: String, ne: [Int], type: GGMLType) { self.name = name; self.ne = ne; self.type = type }
        public var byteCount: Int { type.byteCount(elements: ne.reduce(1, *))! }
    }

    public static let alignment = 32

    /// `bytes(i)` returns tensor `i`'s encoded bytes (exactly `tensors[i].byteCount` of them).
    public static func write(to url: URL, metadata: [(String, GGUFValue)], tensors: [TensorSpec],
                             bytes: (Int) throws -> [UInt8]) throws {
        let align = declaredAlignment(metadata)
        let header = try header(metadata: metadata, tensors: tensors, file: url.path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: header) else {
            throw CheckpointError.unreadable(file: temporary.path, reason: "cannot create the file")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.seekToEnd()
            for (i, t) in tensors.enumerated() {
                var b = try bytes(i)
                guard b.count == t.byteCount else {
                    throw CheckpointError.shapeMismatch(file: url.path, tensor: t.name, reason: "\(b.count) bytes given, \(t.type.name) \(t.ne) needs \(t.byteCount)")
                }
                while b.count % align != 0 { b.append(0) }
                try handle.write(contentsOf: b)
            }
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        _ = try? FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(at: temporary, to: url)
    }

    /// The alignment the file declares (`general.alignment`), else GGUF's default of 32.
    static func declaredAlignment(_ metadata: [(String, GGUFValue)]) -> Int {
        metadata.first { $0.0 == "general.alignment" }?.1.int ?? alignment
    }

    /// Magic, version, metadata and tensor table, padded to the alignment: everything before the tensor data.
    static func header(metadata: [(String, GGUFValue)], tensors: [TensorSpec], file: String) throws -> Data {
        let align = declaredAlignment(metadata)
        for t in tensors where t.type.byteCount(elements: t.ne.reduce(1, *)) == nil || (t.ne.first ?? 0) % t.type.layout.blockSize != 0 {
            throw CheckpointError.shapeMismatch(file: file, tensor: t.name, reason: "rows of \(t.ne.first ?? 0) values are not whole \(t.type.name) blocks")
        }
        var header = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); header.append(contentsOf: Array(s.utf8)) }
        func value(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): header.append(x)
            case .int8(let x): header.append(UInt8(bitPattern: x))
            case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { header.append(contentsOf: $0) }
            case .int16(let x): withUnsafeBytes(of: x.littleEndian) { header.append(contentsOf: $0) }
            case .uint32(let x): u32(x)
            case .int32(let x): u32(UInt32(bitPattern: x))
            case .float32(let x): u32(x.bitPattern)
            case .bool(let x): header.append(x ? 1 : 0)
            case .string(let s): str(s)
            case .uint64(let x): u64(x)
            case .int64(let x): u64(UInt64(bitPattern: x))
            case .float64(let x): u64(x.bitPattern)
            case .array(let elementType, let items):
                u32(elementType); u64(UInt64(items.count)); items.forEach(value)
            }
        }
        u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (key, v) in metadata {
            str(key); u32(typeID(v)); value(v)
        }
        var offset = 0
        for t in tensors {
            str(t.name); u32(UInt32(t.ne.count)); t.ne.forEach { u64(UInt64($0)) }; u32(t.type.rawValue); u64(UInt64(offset))
            offset += (t.byteCount + align - 1) / align * align
        }
        while header.count % align != 0 { header.append(0) }
        return header
    }

    /// The whole file in memory (small models and tests); `write` streams instead.
    public static func data(metadata: [(String, GGUFValue)], tensors: [TensorSpec], bytes: (Int) throws -> [UInt8]) throws -> Data {
        let align = declaredAlignment(metadata)
        var out = try header(metadata: metadata, tensors: tensors, file: "<memory>")
        for i in tensors.indices {
            out.append(contentsOf: try bytes(i))
            while out.count % align != 0 { out.append(0) }
        }
        return out
    }

    /// The GGUF value type id of `v` (see `GGUFValue`).
    static func typeID(_ v: GGUFValue) -> UInt32 {
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
