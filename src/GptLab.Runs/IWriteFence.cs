namespace GptLab.Runs;

/// <summary>
/// Asked before every write into a run folder whose right to write can be taken away (a sweep trial's lease):
/// returns when writing is still allowed, throws <see cref="LeaseLostException"/> when it is not.
/// </summary>
public interface IWriteFence
{
    void Check();
}
