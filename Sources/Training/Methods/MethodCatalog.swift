import Foundation

/// The methods a build knows: one list. Adding a method is one file under `Methods/` that defines
/// its `MethodDescriptor`, plus one line here. The list is a value, so a test can extend it
/// (`MethodCatalog(MethodCatalog.standard.descriptors + [mine])`) without registering anything.
public struct MethodCatalog: Sendable {
    public let descriptors: [MethodDescriptor]

    public init(_ descriptors: [MethodDescriptor]) {
        precondition(Set(descriptors.map(\.name)).count == descriptors.count, "MethodCatalog: duplicate method names")
        self.descriptors = descriptors
    }

    public static let standard = MethodCatalog([
        MetaLoRAMethod.descriptor,
        STAMethod.descriptor,
        LoRAMethod.descriptor,
        HydraLoRAMethod.descriptor,
        RLoRAMethod.descriptor,
        LoRAMoEMethod.descriptor,
        LoRAHubMethod.descriptor,
        BaseMethod.descriptor,
    ])

    public var names: [String] { descriptors.map(\.name) }
    public func descriptor(_ name: String) -> MethodDescriptor? { descriptors.first { $0.name == name } }

    /// Every key any method has, with the parameter's first definition (for CLI parsing and help).
    public var allParameters: [HyperParameter] {
        var seen = Set<String>(), out: [HyperParameter] = []
        for d in descriptors { for p in d.hyperParameters where seen.insert(p.key).inserted { out.append(p) } }
        return out
    }

    /// `metalora train --help`'s schema: every method with its keys, defaults and sources.
    public var helpText: String { HyperArguments.helpText(self) }
}
