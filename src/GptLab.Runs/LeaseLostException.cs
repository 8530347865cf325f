namespace GptLab.Runs;

/// <summary>This process no longer holds the run it was writing: another holder has it now, so nothing more may be
/// written there. Not a failure of the run.</summary>
public sealed class LeaseLostException(string message) : GptLabException(message, 3);
