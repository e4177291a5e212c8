/// A GGUF metadata value. GGUF v2/v3 value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32,
/// 7 bool, 8 string, 9 array, 10 u64, 11 i64, 12 f64.
public indirect enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    case array(elementType: UInt32, [GGUFValue])

    /// Any integer type as Int (nil for non-integers or a UInt64 beyond Int.max).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    /// Any numeric type as Double.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var float: Float? {
        if case .float32(let v) = self { return v }
        return double.map(Float.init)
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        default: return int.map { $0 != 0 }
        }
    }
    public var array: [GGUFValue]? { if case .array(_, let a) = self { return a }; return nil }
    public var strings: [String]? { array?.compactMap(\.string) }

    public var typeName: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .uint16: return "u16"
        case .int16: return "i16"
        case .uint32: return "u32"
        case .int32: return "i32"
        case .float32: return "f32"
        case .bool: return "bool"
        case .string: return "string"
        case .uint64: return "u64"
        case .int64: return "i64"
        case .float64: return "f64"
        case .array(_, let a): return "array[\(a.count)]"
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return s.count > 60 ? "\"\(s.prefix(57))...\"" : "\"\(s)\""
        case .array(_, let a): return "[\(a.count) items]"
        case .bool(let b): return "\(b)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        default: return "\(int ?? 0)"
        }
    }
}
