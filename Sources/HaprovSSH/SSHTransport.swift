public enum HaprovSSHPlaceholder {}
