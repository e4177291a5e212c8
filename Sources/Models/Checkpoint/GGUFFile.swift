import Foundation

/// A GGUF (v2/v3) file: header, typed metadata, tensor infos, and the memory-mapped tensor data.
///
/// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata key/values,
/// tensor infos (name, u32 n_dims, u64 ne[n_dims] with ne[0] the fastest-varying, u32 type,
/// u64 offset), padding to `general.alignment` (default 32), then the tensor data. Every read is
/// bounds-checked so a truncated or damaged file becomes a `CheckpointError` naming the file.
public struct GGUFFile {
    public struct TensorInfo: Sendable {
        public let name: String
        /// ggml order: `ne[0]` is the row length (contiguous), so a 2-D weight is `[ne1 rows, ne0 cols]` row-major.
        public let ne: [Int]
        public let type: GGMLType
        public let offset: Int
        public var elementCount: Int { ne.reduce(1, *) }
        /// Row-major shape (slowest first), as PyTorch would show it.
        public var shape: [Int] { Array(ne.reversed()) }
    }

    public let url: URL
    public let version: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (for `inspect`).
    public let metadataKeys: [String]
    public let tensors: [String: TensorInfo]
    public let tensorOrder: [String]
    public let alignment: Int
    let bytes: Data
    let dataStart: Int

    public init(url: URL) throws {
        self.url = url
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        var cursor = ByteCursor(data: data, file: url.path)
        let magic = try cursor.readBytes(4)
        guard magic == Array("GGUF".utf8) else {
            throw CheckpointError.corrupt(file: url.path, reason: "not a GGUF file (magic \(magic.map { String(format: "%02x", $0) }.joined()))")
        }
        let version = Int(try cursor.read(UInt32.self))
        guard version == 2 || version == 3 else {
            throw CheckpointError.unsupported(file: url.path, reason: "GGUF version \(version) (supported: 2, 3)")
        }
        let tensorCount = try cursor.readCount(UInt64.self, what: "tensor count", minBytesEach: 24)
        let kvCount = try cursor.readCount(UInt64.self, what: "metadata count", minBytesEach: 12)
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<kvCount {
            let key = try cursor.readString()
            let type = try cursor.read(UInt32.self)
            let value = try cursor.readValue(type: type, key: key)
            metadata[key] = value
            keys.append(key)
        }
        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard let v = a.int, v > 0, v & (v - 1) == 0 else {
                throw CheckpointError.corrupt(file: url.path, reason: "general.alignment \(a) is not a power of two")
            }
            alignment = v
        }
        var infos: [String: TensorInfo] = [:]
        var order: [String] = []
        for _ in 0..<tensorCount {
            let name = try cursor.readString()
            let nDims = Int(try cursor.read(UInt32.self))
            guard (1...4).contains(nDims) else {
                throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' has \(nDims) dimensions")
            }
            var ne: [Int] = []
            for _ in 0..<nDims {
                let d = try cursor.read(UInt64.self)
                guard d < 1 << 40 else { throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' dimension \(d) is absurd") }
                ne.append(Int(d))
            }
            let rawType = try cursor.read(UInt32.self)
            guard let type = GGMLType(rawValue: rawType) else {
                throw CheckpointError.unsupportedTensorType(file: url.path, tensor: name, type: "ggml type id \(rawType)")
            }
            let offset = try cursor.read(UInt64.self)
            guard offset < UInt64(data.count) else {
                throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' offset \(offset) is beyond the file (truncated?)")
            }
            guard infos[name] == nil else { throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' appears twice") }
            infos[name] = TensorInfo(name: name, ne: ne, type: type, offset: Int(offset))
            order.append(name)
        }
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        try GGUFFile.checkTensorTable(order.map { infos[$0]! }, dataStart: dataStart, alignment: alignment,
                                      fileSize: data.count, file: url.path)
        self.version = version
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensors = infos
        self.tensorOrder = order
        self.alignment = alignment
        self.bytes = data
        self.dataStart = dataStart
    }

    public init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    /// Where the tensor data section starts in the file (tensor offsets are relative to it).
    public var dataStartOffset: Int { dataStart }

    /// A tensor's stored bytes, in its own ggml type (for copying it unchanged into another file).
    public func rawBytes(_ name: String) throws -> Data {
        guard let t = tensors[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        guard let n = t.type.byteCount(elements: t.elementCount) else {
            throw CheckpointError.shapeMismatch(file: url.path, tensor: name, reason: "not a whole number of \(t.type.name) blocks")
        }
        return bytes.subdata(in: dataStart + t.offset ..< dataStart + t.offset + n)
    }

    /// The tensor table must describe the data section exactly, so that a damaged type or offset
    /// byte is caught at open time instead of being read as wrong weights. Every tensor lies inside
    /// the file at an aligned offset, with a whole number of blocks of its type. GGUF writers
    /// (llama.cpp, gguf-py) store the tensors back to back, each padded to the alignment, so in
    /// offset order each one starts where the previous one's padded bytes end: an overlap means a
    /// wrong offset, and a gap (or a tensor running into the next) means a type or shape that does
    /// not match the bytes stored.
    static func checkTensorTable(_ tensors: [TensorInfo], dataStart: Int, alignment: Int, fileSize: Int, file: String) throws {
        var sizes: [String: Int] = [:]
        for info in tensors {
            guard let size = info.type.byteCount(elements: info.elementCount) else {
                throw CheckpointError.shapeMismatch(file: file, tensor: info.name,
                    reason: "\(info.elementCount) elements is not a whole number of \(info.type.name) blocks")
            }
            guard info.offset % alignment == 0 else {
                throw CheckpointError.corrupt(file: file, reason: "tensor '\(info.name)' offset \(info.offset) is not aligned to \(alignment)")
            }
            let end = dataStart + info.offset + size
            guard end <= fileSize else {
                throw CheckpointError.corrupt(file: file,
                    reason: "tensor '\(info.name)' (\(info.type.name), shape \(info.shape)) needs bytes up to \(end) but the file has \(fileSize) (truncated, or a damaged type or offset)")
            }
            sizes[info.name] = size
        }
        let byOffset = tensors.sorted { $0.offset < $1.offset }
        var expected = 0
        var previous: TensorInfo?
        for info in byOffset {
            let described = "tensor '\(info.name)' (\(info.type.name), shape \(info.shape))"
            if info.offset < expected, let p = previous {
                throw CheckpointError.corrupt(file: file, reason: "\(described) at offset \(info.offset) overlaps tensor '\(p.name)' "
                    + "(\(p.type.name), \(sizes[p.name]!) bytes at offset \(p.offset)): a damaged offset, type or shape")
            }
            if info.offset > expected {
                let after = previous.map { "tensor '\($0.name)' (\($0.type.name), shape \($0.shape), \(sizes[$0.name]!) bytes) ends at \(expected)" }
                    ?? "the data section starts at 0"
                throw CheckpointError.corrupt(file: file, reason: "\(after) but the next tensor, '\(info.name)', starts at \(info.offset): "
                    + "\(info.offset - expected) bytes are unaccounted for (a damaged type, shape or offset)")
            }
            expected = (info.offset + sizes[info.name]! + alignment - 1) / alignment * alignment
            previous = info
        }
        if let last = previous, fileSize - dataStart > expected {
            throw CheckpointError.corrupt(file: file, reason: "tensor '\(last.name)' (\(last.type.name), shape \(last.shape)) ends at "
                + "\(dataStart + expected), but the file goes on to \(fileSize): \(fileSize - dataStart - expected) bytes are unaccounted for "
                + "(a damaged type or shape)")
        }
    }

    public var architecture: String? { metadata["general.architecture"]?.string }

    /// Where a tensor's bytes start in the file (the data section's start plus its offset).
    public func fileOffset(of name: String) -> Int? { tensors[name].map { dataStart + $0.offset } }

    /// A metadata value that must be present.
    public func require(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw CheckpointError.missingMetadata(file: url.path, key: key) }
        return v
    }

    public func requireInt(_ key: String) throws -> Int {
        guard let v = try require(key).int else {
            throw CheckpointError.corrupt(file: url.path, reason: "metadata '\(key)' is \(metadata[key]!.typeName), expected an integer")
        }
        return v
    }

    /// The tensor's raw bytes (quantized blocks as stored).
    public func withRawBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer, TensorInfo) throws -> R) throws -> R {
        guard let info = tensors[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        guard info.type.isSupported else {
            throw CheckpointError.unsupportedTensorType(file: url.path, tensor: name, type: info.type.name)
        }
        let size = info.type.byteCount(elements: info.elementCount)!
        return try bytes.withUnsafeBytes { raw in
            let start = dataStart + info.offset
            return try body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + size)]), info)
        }
    }

    /// The tensor dequantized to float32, row-major `[ne1, ne0]` (for 2-D).
    public func floats(_ name: String) throws -> [Float] {
        try withRawBytes(of: name) { raw, info in
            var out = [Float](repeating: 0, count: info.elementCount)
            out.withUnsafeMutableBufferPointer { dst in
                Dequantize.run(info.type, raw, into: dst.baseAddress!, count: info.elementCount)
            }
            return out
        }
    }

    /// Dequantizes into caller-owned memory of `info.elementCount` floats.
    public func dequantize(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        try withRawBytes(of: name) { raw, info in
            Dequantize.run(info.type, raw, into: destination, count: info.elementCount)
        }
    }
}

/// Bounds-checked little-endian reader over the mapped file.
struct ByteCursor {
    let data: Data
    let file: String
    var offset = 0

    init(data: Data, file: String) { self.data = data; self.file = file }

    func truncated(_ what: String) -> CheckpointError {
        .corrupt(file: file, reason: "unexpected end of file at byte \(offset) while reading \(what) (truncated?)")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let n = MemoryLayout<T>.size
        guard offset + n <= data.count else { throw truncated("\(T.self)") }
        let v = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += n
        return T(littleEndian: v)
    }

    mutating func readBytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0, offset + n <= data.count else { throw truncated("\(n) bytes") }
        let out = [UInt8](data[data.startIndex + offset ..< data.startIndex + offset + n])
        offset += n
        return out
    }

    /// A count that must be satisfiable by the bytes left (each item at least `minBytesEach`),
    /// so a damaged count cannot trigger a huge allocation or a long loop.
    mutating func readCount<T: FixedWidthInteger>(_: T.Type, what: String, minBytesEach: Int) throws -> Int {
        let raw = try read(T.self)
        let left = data.count - offset
        guard raw >= 0, UInt64(raw) <= UInt64(left / max(minBytesEach, 1)) else {
            throw CheckpointError.corrupt(file: file, reason: "\(what) \(raw) cannot fit in the \(left) bytes left at byte \(offset)")
        }
        return Int(raw)
    }

    mutating func readString() throws -> String {
        let n = try readCount(UInt64.self, what: "string length", minBytesEach: 1)
        let bytes = try readBytes(n)
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func readValue(type: UInt32, key: String) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try read(UInt8.self))
        case 1: return .int8(try read(Int8.self))
        case 2: return .uint16(try read(UInt16.self))
        case 3: return .int16(try read(Int16.self))
        case 4: return .uint32(try read(UInt32.self))
        case 5: return .int32(try read(Int32.self))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self)))
        case 7:
            let b = try read(UInt8.self)
            guard b <= 1 else { throw CheckpointError.corrupt(file: file, reason: "metadata '\(key)' has bool value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try readString())
        case 9:
            let elementType = try read(UInt32.self)
            guard elementType <= 12 else {
                throw CheckpointError.corrupt(file: file, reason: "metadata '\(key)' is an array of unknown type \(elementType)")
            }
            let count = try readCount(UInt64.self, what: "array length of '\(key)'", minBytesEach: elementType == 8 ? 8 : 1)
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try readValue(type: elementType, key: key)) }
            return .array(elementType: elementType, items)
        case 10: return .uint64(try read(UInt64.self))
        case 11: return .int64(try read(Int64.self))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self)))
        default:
            throw CheckpointError.corrupt(file: file, reason: "metadata '\(key)' has unknown value type \(type) at byte \(offset)")
        }
    }
}
