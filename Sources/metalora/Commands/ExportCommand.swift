import ArgumentParser
import Foundation
import Adapters

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write a HydraLoRA / R-LoRA / LoRA-MoE adapter as a documented folder (README.md with tensor names, shapes and the routing rule; safetensors; JSON config).")

    @Option(help: "The adapter folder (`metalora train` output).") var adapter: String
    @Option(help: "The export folder to create (must not exist).") var out: String

    func run() throws {
        let files = try AdapterExport.export(from: URL(fileURLWithPath: adapter), to: URL(fileURLWithPath: out))
        for f in files { print(f.path) }
    }
}
