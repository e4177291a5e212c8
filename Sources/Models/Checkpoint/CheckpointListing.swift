import Foundation

/// The tensor table and the metadata of a checkpoint file, read from its header alone (no
/// weights are loaded, so any GGUF or safetensors file can be listed, like gguf-py's `gguf-dump`).
public enum CheckpointListing {
    public struct TensorRow: Sendable, Equatable {
        public let name: String
        /// ggml type name (Q4_1, F32, …) or safetensors dtype (F32, BF16, …).
        public let type: String
        /// Row-major shape (slowest dimension first), as PyTorch shows it.
        public let shape: [Int]
        /// GGUF only: ggml's `ne` (fastest dimension first), as gguf-dump prints it.
        public let ne: [Int]?
        /// Absolute byte offset of the tensor's data in `file`, and its byte count.
        public let offset: Int
        public let bytes: Int
        public let file: String
        public var elements: Int { shape.reduce(1, *) }
    }

    public struct MetadataRow: Sendable, Equatable {
        public let key: String
        /// gguf-py's type names (UINT32, STRING, [FLOAT32] for arrays…); "STRING" for safetensors
        /// `__metadata__`; "config.json" for a Hugging Face folder's config keys.
        public let type: String
        /// 1, or an array's length.
        public let count: Int
        /// The value, an array abbreviated to its first elements.
        public let value: String
    }

    public enum Kind { case gguf, safetensors, folder }

    public static func kind(of url: URL) throws -> Kind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.unreadable(file: url.path, reason: "no such file or folder")
        }
        if isDirectory.boolValue { return .folder }
        let handle = try? FileHandle(forReadingFrom: url)
        let magic = (try? handle?.read(upToCount: 4)) ?? nil
        try? handle?.close()
        if magic == Data("GGUF".utf8) { return .gguf }
        return .safetensors
    }

    static func safetensorsFiles(_ url: URL, kind: Kind) throws -> [SafeTensorsFile] {
        kind == .folder ? try WeightLoader.shardFiles(folder: url) : [try SafeTensorsFile(url: url)]
    }

    public static func tensors(at url: URL) throws -> [TensorRow] {
        let kind = try kind(of: url)
        if kind == .gguf {
            let g = try GGUFFile(url: url)
            return g.tensorOrder.map { name in
                let t = g.tensors[name]!
                return TensorRow(name: name, type: t.type.name, shape: t.shape, ne: t.ne, offset: g.dataStartOffset + t.offset,
                                 bytes: t.type.byteCount(elements: t.elementCount) ?? 0, file: url.path)
            }
        }
        return try safetensorsFiles(url, kind: kind).flatMap { f in
            f.entries.values.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }.map { e in
                TensorRow(name: e.name, type: e.dtype, shape: e.shape, ne: nil, offset: f.dataStartOffset + e.begin,
                          bytes: e.end - e.begin, file: f.url.path)
            }
        }
    }

    public static func metadata(at url: URL, arrayPreview: Int = 5) throws -> [MetadataRow] {
        let kind = try kind(of: url)
        if kind == .gguf {
            let g = try GGUFFile(url: url)
            var rows = [MetadataRow(key: "GGUF.version", type: "UINT32", count: 1, value: String(g.version)),
                        MetadataRow(key: "GGUF.tensor_count", type: "UINT64", count: 1, value: String(g.tensorOrder.count)),
                        MetadataRow(key: "GGUF.kv_count", type: "UINT64", count: 1, value: String(g.metadataKeys.count))]
            for key in g.metadataKeys {
                let v = g.metadata[key]!
                if case .array(let elementType, let items) = v {
                    let shown = items.prefix(arrayPreview).map(render).joined(separator: ", ")
                    rows.append(MetadataRow(key: key, type: "[\(typeName(elementType))]", count: items.count,
                                            value: "[\(shown)\(items.count > arrayPreview ? ", ..." : "")] (\(items.count) items)"))
                } else {
                    rows.append(MetadataRow(key: key, type: typeName(of: v), count: 1, value: render(v)))
                }
            }
            return rows
        }
        var rows: [MetadataRow] = []
        for f in try safetensorsFiles(url, kind: kind) {
            for key in f.metadata.keys.sorted() {
                rows.append(MetadataRow(key: kind == .folder ? "\(f.url.lastPathComponent):\(key)" : key,
                                        type: "STRING", count: 1, value: quote(f.metadata[key]!)))
            }
        }
        if kind == .folder, let data = try? Data(contentsOf: url.appendingPathComponent("config.json")),
           let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in config.keys.sorted() {
                let v = config[key]!
                let count = (v as? [Any])?.count ?? 1
                let text = (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\(v)"
                rows.append(MetadataRow(key: key, type: "config.json", count: count, value: text.count > 120 ? String(text.prefix(117)) + "..." : text))
            }
        }
        return rows
    }

    /// gguf-py's `GGUFValueType` names.
    static let valueTypeNames = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY",
                                 "UINT64", "INT64", "FLOAT64"]
    static func typeName(_ id: UInt32) -> String {
        Int(id) < valueTypeNames.count ? valueTypeNames[Int(id)] : "TYPE\(id)"
    }

    static func typeName(of v: GGUFValue) -> String {
        switch v {
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .float32: return "FLOAT32"
        case .bool: return "BOOL"
        case .string: return "STRING"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float64: return "FLOAT64"
        case .array(let t, _): return "[\(typeName(t))]"
        }
    }

    static func render(_ v: GGUFValue) -> String {
        switch v {
        case .string(let s): return quote(s)
        case .bool(let b): return b ? "True" : "False"
        case .float32(let f): return "\(f)"
        case .float64(let d): return "\(d)"
        case .array(_, let a): return "[\(a.count) items]"
        default: return v.int.map(String.init) ?? "\(v)"
        }
    }

    /// Quoted, with newlines escaped and long strings cut (a chat template is kilobytes).
    static func quote(_ s: String) -> String {
        let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "'", with: "\\'")
        return escaped.count > 100 ? "'\(escaped.prefix(97))...' (\(s.count) characters)" : "'\(escaped)'"
    }
}
