/* Executables in mail are already ATTACH_EXECUTABLE; these rules add what a CSIRT analyst
 * asks next: is it packed, is it a .NET loader.
 * Written on raw bytes, without `import "pe"`: a module import makes libyara build and tear
 * down the module's object tree for every scanned object, which cost more than all other
 * rules together (measured with callgrind: 58% of all instructions on plain-text mail). */

rule PE_Packed_UPX : pe packer
{
    meta:
        description = "PE packed with UPX"
        weight = 3
    strings:
        $upx0 = { 55 50 58 30 00 00 00 00 }  // section name "UPX0"
        $upx1 = { 55 50 58 31 00 00 00 00 }  // section name "UPX1"
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
        ($upx0 in (0..1024) or $upx1 in (0..1024))
}

rule PE_DotNet_Assembly : pe
{
    meta:
        description = "PE is a .NET assembly (references mscoree.dll _CorExeMain/_CorDllMain)"
        weight = 1
    strings:
        $m = "mscoree.dll" nocase
        $e1 = "_CorExeMain"
        $e2 = "_CorDllMain"
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and $m and any of ($e*)
}
