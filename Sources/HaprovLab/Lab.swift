public enum HaprovLabPlaceholder {}
