using System.Net;
using System.Net.Sockets;

namespace Retention.Testing;

public static class FreePorts
{
    /// <summary>A port nothing listens on right now (the OS picked it for a listener we closed at once).</summary>
    public static int Take()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>The first of three consecutive ports nothing listens on right now: an emulator's blob, queue and table.</summary>
    public static int TakeThree()
    {
        while (true)
        {
            var first = Take();
            if (first < IPEndPoint.MaxPort - 2 && IsFree(first + 1) && IsFree(first + 2))
            {
                return first;
            }
        }
    }

    private static bool IsFree(int port)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
