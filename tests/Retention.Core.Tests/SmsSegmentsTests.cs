using Retention.Core.Messages;

namespace Retention.Core.Tests;

public class SmsSegmentsTests
{
    [Fact]
    public void TheBasicSetHas127CharactersBesidesEscape() => Assert.Equal(127, SmsSegments.BasicSetSize);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void Gsm7Fits160InOneAnd153PerPart(int length, int segments)
    {
        var count = SmsSegments.Count(new string('a', length));

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, length, length, segments), count);
    }

    [Fact]
    public void GsmAccentsAndGreekStayGsm7() =>
        Assert.Equal(SmsEncoding.Gsm7, SmsSegments.Count("Café à Mañana: ΔΦΓΛΩΠΨΣΘΞ £5 @home ¿ok? Ünd Straße").Encoding);

    [Fact]
    public void ExtensionCharactersCountTwice()
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 80, 160, 1), SmsSegments.Count(new string('€', 80)));
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 160, 161, 2), SmsSegments.Count(new string('a', 159) + "{"));
        Assert.Equal(10, SmsSegments.Count("^{}\\[~]|€\f").Characters);
        Assert.Equal(20, SmsSegments.Count("^{}\\[~]|€\f").Units);
    }

    [Fact]
    public void AnEscapedCharacterIsNotSplitAcrossParts()
    {
        // 306 septets would be two parts of 153, but the € at septets 153-154 must move whole to the second part.
        var count = SmsSegments.Count(new string('a', 152) + "€" + new string('a', 152));

        Assert.Equal(306, count.Units);
        Assert.Equal(3, count.Segments);
    }

    [Theory]
    [InlineData(69, 1)]
    [InlineData(70, 2)]
    [InlineData(133, 2)]
    [InlineData(134, 3)]
    public void OneChineseCharacterMakesTheWholeMessageUcs2(int asciiLength, int segments)
    {
        // "你" plus ASCII: 70 units in one message, 67 per part.
        var count = SmsSegments.Count("你" + new string('a', asciiLength));

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Ucs2, asciiLength + 1, asciiLength + 1, segments), count);
    }

    [Fact]
    public void ChineseTextAtTheUcs2Boundary()
    {
        Assert.Equal(1, SmsSegments.Count(new string('谢', 70)).Segments);
        Assert.Equal(2, SmsSegments.Count(new string('谢', 71)).Segments);
    }

    [Fact]
    public void Ucs2CountsUtf16UnitsAndKeepsSurrogatePairsTogether()
    {
        var emoji = SmsSegments.Count("😀");
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Ucs2, 1, 2, 1), emoji);

        // 134 units would be two parts of 67, but the emoji at units 67-68 must move whole to the second part.
        var split = SmsSegments.Count(new string('a', 66) + "😀" + new string('b', 66));
        Assert.Equal(134, split.Units);
        Assert.Equal(3, split.Segments);
    }

    [Fact]
    public void ACurlyApostropheMakesItUcs2()
    {
        Assert.Equal(SmsEncoding.Ucs2, SmsSegments.Count("It’s here").Encoding);
        Assert.Equal(SmsEncoding.Gsm7, SmsSegments.Count("It's here").Encoding);
    }

    [Fact]
    public void AnEmptyMessageHasNoSegments() => Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 0, 0, 0), SmsSegments.Count(""));
}
