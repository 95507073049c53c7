/* The EICAR anti-malware test file: proves the scanning path end to end without malware. */
rule EICAR_Test_File : test
{
    meta:
        description = "EICAR anti-malware test file"
        weight = 10
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar in (0..128)
}
