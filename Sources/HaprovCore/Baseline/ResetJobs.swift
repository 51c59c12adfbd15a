/// `haprov reset` as an ordinary run: each host's job holds one role with one `reset` task, so
/// the engine gathers the baseline's facts, plans, applies (or, with --check, stops after the
/// plan) and reports it like any apply, in every output format.
extension Role {
    public static func reset(directory: String = Baseline.defaultDirectory) -> Role {
        Role(name: "reset", directory: "", tasks: [
            RoleTask(name: "back to the baseline", module: ResetModule.name, args: ["directory": .string(directory)], location: "haprov reset"),
        ], handlers: [], defaults: [:])
    }
}

extension Project {
    /// The selected hosts with their connections and variables, each given only the reset role.
    public func resetJobs(directory: String = Baseline.defaultDirectory) -> [HostJob] {
        jobs.map { job in
            var reset = job
            reset.roles = [.reset(directory: directory)]
            return reset
        }
    }
}
