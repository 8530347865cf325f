namespace GptLab.Inference;

/// <summary>Bad input to the inference library (a missing file, an unknown token, an option out of range): the
/// message is one line meant for the user.</summary>
public sealed class InferenceException(string message) : Exception(message);
