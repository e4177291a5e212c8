// Spec hyper-parameters (JSONValue, as hashed) as the descriptors' typed values, and back.
import Foundation
import Training

extension JSONValue {
    /// The value as a descriptor value; nil for null, objects and mixed arrays.
    public var hyperValue: HyperValue? {
        switch self {
        case .int(let v): return .int(v)
        case .double(let v): return .number(v)
        case .string(let v): return .string(v)
        case .bool(let v): return .bool(v)
        case .array(let a):
            let s = a.compactMap(\.stringValue)
            return s.count == a.count ? .strings(s) : nil
        case .null, .object: return nil
        }
    }

    public init(_ value: HyperValue) {
        switch value {
        case .int(let v): self = .int(v)
        case .number(let v): self = .double(v)
        case .string(let v): self = .string(v)
        case .strings(let v): self = .array(v.map(JSONValue.string))
        case .bool(let v): self = .bool(v)
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The entries that are plain values (a per-budget epochs map is resolved before this).
    public var hyperValues: [String: HyperValue] { compactMapValues(\.hyperValue) }
}
