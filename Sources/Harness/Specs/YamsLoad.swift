// Loose YAML loading for reference data whose shape is checked where it is read.
import Yams

enum YamsLoad {
    static func load(_ text: String) throws -> Any? { try Yams.load(yaml: text) }
}
