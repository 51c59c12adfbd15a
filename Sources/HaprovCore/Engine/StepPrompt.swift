import Foundation

/// `apply --step`, for teaching: before a task changes a host, what it would change is shown
/// and the user answers y (perform it), n (skip it on this host) or c (perform it and every
/// later one without asking), as ansible-playbook's --step asks. Only tasks with changes ask:
/// a task already in place has nothing to confirm. Hosts in parallel ask one at a time.
public final class StepPrompt: @unchecked Sendable {
    public enum Answer: Sendable { case yes, no, continueAll }

    private let lock = NSLock()
    private var asking = true
    private let ask: @Sendable (String) -> Answer

    /// `ask` shows the question and returns the answer (the CLI reads the terminal).
    public init(ask: @escaping @Sendable (String) -> Answer) { self.ask = ask }

    /// Whether to perform the task on this host.
    func confirm(host: String, task: String, changes: [String]) -> Bool {
        lock.withLock {
            guard asking else { return true }
            let question = "\(host): \(task)\n" + changes.map { "    would \($0)\n" }.joined() + "Perform it? (y)es/(n)o/(c)ontinue: "
            switch ask(question) {
            case .yes: return true
            case .no: return false
            case .continueAll: asking = false; return true
            }
        }
    }

    /// Reads answers line by line from standard input (a terminal, or a pipe in scripts);
    /// anything but y, n or c asks again; end of input answers n.
    public static func standardInput(output: TextOutput) -> StepPrompt {
        StepPrompt { question in
            while true {
                output.write(question)
                guard let line = readLine() else { output.write("\n"); return .no }
                switch line.trimmingCharacters(in: .whitespaces).lowercased() {
                case "y", "yes": return .yes
                case "n", "no": return .no
                case "c", "continue": return .continueAll
                default: continue
                }
            }
        }
    }
}
