/* HTML attachments that assemble and drop a file in the browser (HTML smuggling), the
 * carrier of many 2021-2025 campaigns. */

rule HTML_Smuggling_Blob_Download : html dropper
{
    meta:
        description = "HTML builds a Blob from embedded data and saves it as a file"
        weight = 7
    strings:
        $b1 = "new Blob(" nocase
        $b2 = "createObjectURL" nocase
        $s1 = "msSaveOrOpenBlob" nocase
        $s2 = ".download=" nocase
        $s3 = ".download =" nocase
        $s4 = ".click()" nocase
        $d1 = "atob(" nocase
        $d2 = "Uint8Array" nocase
        $d3 = "charCodeAt" nocase
    condition:
        all of ($b*) and 2 of ($s*) and any of ($d*)
}
