/* Script droppers and download cradles as they arrive in mail: JScript/VBScript/HTA files,
 * PowerShell one-liners, LOLBins. Strings are specific enough to keep false positives rare
 * in ordinary mail; each rule needs two independent signs. */

rule Script_PowerShell_Download_Cradle : script downloader
{
    meta:
        description = "PowerShell that downloads and executes code"
        weight = 7
    strings:
        $ps = "powershell" nocase
        $d1 = "DownloadString" nocase
        $d2 = "DownloadFile" nocase
        $d3 = "Invoke-WebRequest" nocase
        $d4 = "Net.WebClient" nocase
        $d5 = "Start-BitsTransfer" nocase
        $x1 = "IEX" fullword
        $x2 = "Invoke-Expression" nocase
        $x3 = "-EncodedCommand" nocase
        $x4 = /-e(nc?)?\s+[A-Za-z0-9+\/]{40,}/ nocase
    condition:
        $ps and any of ($d*) and any of ($x*)
}

rule Script_WSH_Shell_Exec : script dropper
{
    meta:
        description = "Windows Script Host code that runs a program"
        weight = 6
    strings:
        $o1 = "WScript.Shell" nocase
        $o2 = "Shell.Application" nocase
        $r1 = ".Run(" nocase
        $r2 = ".Run " nocase
        $r3 = ".ShellExecute" nocase
        $r4 = ".Exec(" nocase
    condition:
        any of ($o*) and any of ($r*)
}

rule Script_LOLBin_Abuse : script downloader
{
    meta:
        description = "living-off-the-land binary used to fetch or decode a payload"
        weight = 6
    strings:
        $c1 = /certutil(\.exe)?\s+[-\/](urlcache|decode)/ nocase
        $c2 = /bitsadmin(\.exe)?\s+\/transfer/ nocase
        $c3 = /mshta(\.exe)?\s+(https?:|javascript:|vbscript:)/ nocase
        $c4 = /regsvr32(\.exe)?\s+\/s\s+\/n\s+\/u\s+\/i:http/ nocase
        $c5 = /rundll32(\.exe)?\s+javascript:/ nocase
    condition:
        any of them
}
