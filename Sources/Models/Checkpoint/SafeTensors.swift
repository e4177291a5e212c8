import Foundation
import Engine

/// Reader and writer for the safetensors format: an 8-byte little-endian header length, a JSON
/// header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the
/// raw little-endian tensor bytes. The file is memory-mapped, so each byte is read once.
public struct SafeTensorsFile {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        public let begin: Int
        public let end: Int
    }

    public let url: URL
    public let entries: [String: Entry]
    public let metadata: [String: String]
    let bytes: Data
    let dataStart: Int

    public var names: [String] { entries.keys.sorted() }

    public init(url: URL) throws {
        self.url = url
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw CheckpointError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        guard data.count >= 8 else {
            throw CheckpointError.corrupt(file: url.path, reason: "file is \(data.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerLength > 0, headerLength <= data.count - 8 else {
            throw CheckpointError.corrupt(file: url.path, reason: "header length \(headerLength) does not fit in a \(data.count)-byte file (truncated?)")
        }
        let headerData = data.subdata(in: 8..<(8 + headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw CheckpointError.corrupt(file: url.path, reason: "header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let payload = data.count - 8 - headerLength
        for (name, value) in json {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let obj = value as? [String: Any], let dtype = obj["dtype"] as? String,
                  let shape = obj["shape"] as? [Int], let offsets = obj["data_offsets"] as? [Int], offsets.count == 2 else {
                throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' has a malformed header entry")
            }
            guard let width = SafeTensorsFile.byteWidth(dtype) else {
                throw CheckpointError.unsupportedTensorType(file: url.path, tensor: name, type: dtype)
            }
            let expected = shape.reduce(1, *) * width
            guard offsets[0] >= 0, offsets[1] - offsets[0] == expected else {
                throw CheckpointError.shapeMismatch(file: url.path, tensor: name,
                    reason: "shape \(shape) of \(dtype) needs \(expected) bytes, offsets give \(offsets[1] - offsets[0])")
            }
            guard offsets[1] <= payload else {
                throw CheckpointError.corrupt(file: url.path, reason: "tensor '\(name)' ends at byte \(offsets[1]) of a \(payload)-byte payload (truncated?)")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.entries = entries
        self.metadata = metadata
        self.bytes = data
        self.dataStart = 8 + headerLength
    }

    public init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    /// Where the tensor bytes start in the file (entry offsets are relative to it).
    public var dataStartOffset: Int { dataStart }

    /// A tensor's stored bytes in its own dtype.
    public func rawBytes(_ name: String) throws -> Data {
        guard let e = entries[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        return bytes.subdata(in: dataStart + e.begin ..< dataStart + e.end)
    }

    static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "F64", "I64", "U64": return 8
        case "I8", "U8", "BOOL": return 1
        default: return nil
        }
    }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor converted to float32 (F32, F16, BF16, F64 and integer types are widened/narrowed).
    public func floats(_ name: String) throws -> [Float] {
        guard let e = entries[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        let n = e.shape.reduce(1, *)
        var out = [Float](repeating: 0, count: n)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: dataStart + e.begin)
            out.withUnsafeMutableBufferPointer { dst in
                switch e.dtype {
                case "F32": for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case "F16": for i in 0..<n { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                case "BF16": for i in 0..<n { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case "F64": for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                case "I32": for i in 0..<n { dst[i] = Float(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                case "I64": for i in 0..<n { dst[i] = Float(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
                case "U8", "BOOL": for i in 0..<n { dst[i] = Float(base.load(fromByteOffset: i, as: UInt8.self)) }
                case "I8": for i in 0..<n { dst[i] = Float(base.load(fromByteOffset: i, as: Int8.self)) }
                case "I16": for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
                case "U16": for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                case "U32": for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                case "U64": for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
                default: break
                }
            }
        }
        return out
    }

    /// Integer tensors (I32/I64/U8…) as Int, e.g. token ids and masks.
    public func ints(_ name: String) throws -> [Int] {
        try floats(name).map { Int($0) }
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        return Tensor(shape: e.shape, values: try floats(name))
    }

    public func shape(_ name: String) throws -> [Int] {
        guard let e = entries[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        return e.shape
    }

    /// One tensor's stored form: dtype, row-major shape and little-endian bytes.
    public struct RawTensor {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        public let bytes: Data
        public init(name: String, dtype: String, shape: [Int], bytes: Data) {
            self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
        }
    }

    /// Writes tensors of any dtype (sorted by name, header padded to 8 bytes) atomically.
    public static func writeRaw(_ tensors: [RawTensor], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        let sorted = tensors.sorted { $0.name < $1.name }
        for t in sorted {
            header[t.name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]] as [String: Any]
            offset += t.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for t in sorted { out.append(t.bytes) }
        try out.write(to: url, options: .atomic)
    }

    /// Writes float32 tensors (sorted by name, 8-byte aligned header) atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        var len = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for name in names {
            let t = tensors[name]!
            out.append(UnsafeBufferPointer(start: t.data, count: t.count))
        }
        try out.write(to: url, options: .atomic)
    }
}
