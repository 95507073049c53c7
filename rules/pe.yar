/* Executables in mail are already ATTACH_EXECUTABLE; these rules add what a CSIRT analyst
 * asks next: is it packed, is it a .NET loader. */
import "pe"

rule PE_Packed_UPX : pe packer
{
    meta:
        description = "PE packed with UPX"
        weight = 3
    condition:
        uint16(0) == 0x5A4D and
        for any i in (0 .. pe.number_of_sections - 1) : (pe.sections[i].name == "UPX0" or
                                                        pe.sections[i].name == "UPX1")
}

rule PE_DotNet_Assembly : pe
{
    meta:
        description = "PE is a .NET assembly"
        weight = 1
    condition:
        uint16(0) == 0x5A4D and pe.number_of_rva_and_sizes > 14 and
        pe.data_directories[14].virtual_address != 0
}
