import ArgumentParser
import Foundation
import HaprovCore

/// ansible-playbook's habits on `apply`: list what would run, or only check the syntax, without
/// reaching any host.
struct PlaybookListing: ParsableArguments {
    @Flag(name: .long, help: "List each play's hosts (after --limit) and stop; no host is reached.")
    var listHosts = false

    @Flag(name: .long, help: "List each play's tasks with their tags (after --tags/--skip-tags) and stop.")
    var listTasks = false

    @Flag(name: .long, help: "List each play's tags and stop.")
    var listTags = false

    @Flag(name: .long, help: "Load the inventory, plays, roles, templates' variables and argument specs, report every problem, and stop; no host is reached.")
    var syntaxCheck = false

    var any: Bool { listHosts || listTasks || listTags || syntaxCheck }

    /// Prints what was asked; the project's problems have been thrown by Project.load already.
    func run(_ project: Project, options: EngineRunOptions) throws {
        let (inventory, jobs, playbook) = (project.inventory, project.jobs, project.playbook)
        let selected = Set(jobs.map(\.name))
        let roles = Dictionary(jobs.flatMap(\.roles).map { ($0.name, $0) }) { first, _ in first }
        let engine = options.engineOptions(check: true, forks: nil, topLevelTemplates: nil)
        let output = StandardOutput.out
        output.write("playbook: \(inventory.path)\n")
        for (index, play) in playbook.plays.enumerated() {
            let hosts = ((try? inventory.select(limit: play.hosts)) ?? []).filter(selected.contains)
            output.write("\n  play #\(index + 1) (\(play.hosts)): \(play.name)\n")
            if listHosts {
                output.write("    hosts (\(hosts.count)):\n" + hosts.map { "      \($0)\n" }.joined())
            }
            var playTags: [String] = []
            for name in play.roles {
                guard let role = roles[name] else { continue }
                for task in role.tasks {
                    let tags = [role.name] + task.tags
                    if !engine.tags.isEmpty, Set(tags).isDisjoint(with: engine.tags) { continue }
                    if !Set(tags).isDisjoint(with: engine.skipTags) { continue }
                    for tag in tags where !playTags.contains(tag) { playTags.append(tag) }
                    if listTasks { output.write("      \(role.name) : \(task.name)\tTAGS: [\(tags.joined(separator: ", "))]\n") }
                }
            }
            if listTags { output.write("      TASK TAGS: [\(playTags.joined(separator: ", "))]\n") }
        }
        if syntaxCheck {
            let tasks = Set(jobs.flatMap(\.roles).map(\.name)).compactMap { roles[$0] }.map(\.tasks.count).reduce(0, +)
            output.write("\nsyntax ok: \(playbook.plays.count) play(s), \(roles.count) role(s), \(tasks) task(s), \(jobs.count) host(s); no host was reached\n")
        }
    }
}
