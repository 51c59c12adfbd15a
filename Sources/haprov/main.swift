import HaprovCLI

Haprov.main()
