import Foundation
import HaprovCore

/// A lab host's cgroups: one of its own in every hierarchy, so hosts do not share (and fight
/// over) one cgroup, Docker inside a host gets a tree it may write, and memory is told per host.
extension LabHost {
    /// The name of the host's cgroup, made under this process's own in each hierarchy.
    var cgroupName: String { "haprov-\(config.name)-\(host.name)" }

    /// Shell that lists the host's cgroup folders, one per hierarchy of /proc/self/cgroup.
    var cgroupFolders: String {
        """
        while IFS=: read -r id ctrl path; do
          case "$ctrl" in
            "") if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then m=/sys/fs/cgroup; else m=/sys/fs/cgroup/unified; fi ;;
            name=systemd) m=/sys/fs/cgroup/systemd ;;
            *) m=/sys/fs/cgroup/$ctrl ;;
          esac
          path=${path%/}; path=${path%/\(cgroupName)}
          [ -d "$m$path" ] && echo "$m$path/\(cgroupName)"
        done < /proc/self/cgroup
        """
    }

    /// Memory the host uses now, in bytes: its memory cgroup's usage less the inactive file
    /// cache (the working set, as `docker stats` counts it).
    var memoryBytes: Int? {
        let script = """
            for cg in $(\(cgroupFolders)); do
              if [ -e $cg/memory.usage_in_bytes ]; then
                echo $(( $(cat $cg/memory.usage_in_bytes) - $(awk '$1 == "total_inactive_file" { print $2 }' $cg/memory.stat) ))
              elif [ -e $cg/memory.current ]; then
                echo $(( $(cat $cg/memory.current) - $(awk '$1 == "inactive_file" { print $2 }' $cg/memory.stat) ))
              fi
            done 2>/dev/null | head -1
            """
        return (try? LabShell.run(script))?.stdoutText.split(separator: "\n").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}
